"""Migration 0007 turns a database without the report rollups, views and indexes into one with
them, filled from the daily tables exactly as pipeline/coverage.py keeps them."""

from __future__ import annotations

import importlib.util

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from pipeline import migrations
from pipeline.engine import make_engine
from pipeline.rollups import ROLLUPS
from pipeline.store import Store
from pipeline.views import VIEW_NAMES, drop_views
from tests.support import reports_data
from tests.support.config import REPO

MIGRATION = REPO / "pipeline" / "migrations" / "versions" / "0007_report_rollups_and_views.py"
ROLLUP_NAMES = [t.name for pair in ROLLUPS.values() for t in pair]
INDEXES = {
    "daily_coverage": "ix_daily_coverage_tag_source_day",
    "daily_volume": "ix_daily_volume_source_day_articles",
}


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0007", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snapshot(store: Store) -> dict[str, list[tuple]]:
    found = {}
    for name in ROLLUP_NAMES:
        rows = store.read_sql(f"SELECT * FROM {name}")
        found[name] = sorted(tuple(str(v) for v in row) for row in rows.itertuples(index=False))
    return found


def test_0007_builds_and_fills_the_rollups_views_and_indexes(db_url: str) -> None:
    store = Store(db_url)
    reports_data.build(store)
    kept_by_coverage = _snapshot(store)
    assert all(kept_by_coverage.values())
    # Back to the schema before 0007: no views, rollups or covering indexes.
    with store.transaction() as conn:
        drop_views(conn)
        for name in ROLLUP_NAMES:
            conn.execute(text(f"DROP TABLE {name}"))
        for index in INDEXES.values():
            conn.execute(text(f"DROP INDEX {index}"))
    migration = _migration()
    with store.transaction() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()
    inspector = inspect(store.engine)
    assert set(VIEW_NAMES) <= set(inspector.get_view_names())
    for table, index in INDEXES.items():
        assert index in {i["name"] for i in inspector.get_indexes(table)}
    assert _snapshot(store) == kept_by_coverage
    weeks = store.read_sql("SELECT DISTINCT week FROM coverage_by_source ORDER BY week")
    assert [str(w)[:10] for w in weeks["week"]][:2] == ["2025-09-01", "2025-09-08"]

    with store.transaction() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
    inspector = inspect(store.engine)
    assert not set(VIEW_NAMES) & set(inspector.get_view_names())
    assert not set(ROLLUP_NAMES) & set(inspector.get_table_names())
    store.close()


def test_rollups_created_beside_existing_coverage_are_filled(db_url: str) -> None:
    """An older database (before 0007) with coverage is told to upgrade; the upgrade fills them."""
    store = Store(db_url)
    reports_data.build(store)
    expected = _snapshot(store)
    # Back to 0008 (which changed no table) by the downgrades; 0007 is undone by hand below.
    migrations.downgrade(store.engine, "0008")
    with store.transaction() as conn:
        drop_views(conn)
        for name in ROLLUP_NAMES:
            conn.execute(text(f"DROP TABLE {name}"))
        for index in INDEXES.values():
            conn.execute(text(f"DROP INDEX {index}"))
        conn.execute(
            text("UPDATE alembic_version SET version_num = :before"),
            {"before": _migration().down_revision},
        )
    store.close()
    with pytest.raises(migrations.SchemaVersionError, match="borderwatch db upgrade"):
        Store(db_url)
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    engine.dispose()
    reopened = Store(db_url)
    assert _snapshot(reopened) == expected
    reopened.close()
