"""Migrations: the head schema is pipeline/schema.py, old databases upgrade with their data,
and a command on an old schema stops with one line that says what to run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from borderwatch.cli import main
from pipeline import migrations
from pipeline.engine import make_engine
from pipeline.schema import metadata
from pipeline.store import Store
from tests.support.config import REPO, base_config, write_config
from tests.support.dbcheck import assert_coverage_equals_rebuild

FIRST = "0001"


def _schema_differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_migrated_head_schema_equals_schema_py(db_url: str) -> None:
    """A forgotten migration (a table, column or index only in schema.py) fails here."""
    engine = make_engine(db_url)
    before, after = migrations.upgrade(engine)
    assert (before, after) == (None, migrations.head_revision())
    assert _schema_differences(engine) == []
    engine.dispose()


def test_new_database_is_created_at_head(db_url: str) -> None:
    store = Store(db_url)
    assert migrations.current_revision(store.engine) == migrations.head_revision()
    assert _schema_differences(store.engine) == []
    store.close()
    Store(db_url).close()  # opening it again passes the revision check


def _fill_first_schema(engine) -> None:
    """Rows in every table of the first schema, written with its own columns only."""
    day = dt.date(2025, 10, 26)
    now = dt.datetime(2025, 10, 26, 9, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (key, name, origin, created_at) "
                "VALUES ('dawn', 'Dawn', 'config', :now)"
            ),
            {"now": now},
        )
        story = conn.execute(
            text(
                "INSERT INTO stories (first_seen_at, day, title, articles, outlets, relevant,"
                " updated_at) VALUES (:now, :day, 'Talks resume', 2, 1, :t, :now) RETURNING id"
            ),
            {"now": now, "day": day, "t": True},
        ).scalar_one()
        ids = [
            conn.execute(
                text(
                    "INSERT INTO articles (url, canonical_url, source, title, text, text_status, "
                    "collected_at, day, relevant, story_id) VALUES (:url, :url, 'dawn', "
                    "'Talks resume', 'Full text.', 'ok', :now, :day, :rel, :story) RETURNING id"
                ),
                {
                    "url": f"https://dawn.com/news/{number}",
                    "now": now,
                    "day": day,
                    "rel": relevant,
                    "story": story,
                },
            ).scalar_one()
            for number, relevant in ((1, True), (2, False))
        ]
        conn.execute(
            text("INSERT INTO article_tags (article_id, tag) VALUES (:id, 'talks')"), {"id": ids[0]}
        )
        conn.execute(
            text("INSERT INTO daily_volume (day, source, articles) VALUES (:day, 'dawn', 2)"),
            {"day": day},
        )
        for tag in ("*", "talks"):
            conn.execute(
                text(
                    "INSERT INTO daily_coverage (day, source, tag, articles, stories) "
                    "VALUES (:day, 'dawn', :tag, 1, 1)"
                ),
                {"day": day, "tag": tag},
            )
        conn.execute(
            text(
                "INSERT INTO runs (job, started_at, status, fetched, new, relevant) "
                "VALUES ('collect', :now, 'ok', 3, 2, 1)"
            ),
            {"now": now},
        )


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
            for name in (
                "sources",
                "stories",
                "articles",
                "article_tags",
                "daily_coverage",
                "daily_volume",
                "runs",
            )
        }


def _cli(tmp_path: Path, db_url: str, *args: str) -> list[str]:
    config = write_config(tmp_path, base_config(tmp_path))
    return ["--config", str(config), "--db", db_url, *args]


def test_upgrade_from_the_first_revision_keeps_the_data(tmp_path: Path, runner, db_url) -> None:
    engine = make_engine(db_url)
    migrations.upgrade(engine, FIRST)
    _fill_first_schema(engine)
    before = _counts(engine)

    result = runner.invoke(main, _cli(tmp_path, db_url, "db", "upgrade"))
    assert result.exit_code == 0, result.output
    head = migrations.head_revision()
    assert f"from revision {FIRST} to {head}" in result.output
    assert _counts(engine) == before
    assert _schema_differences(engine) == []
    with engine.connect() as conn:
        tags = conn.execute(
            text("SELECT a.url, t.tag FROM article_tags t JOIN articles a ON a.id = t.article_id")
        ).all()
        texts = conn.execute(text("SELECT url, text FROM articles ORDER BY url")).all()
    assert [tuple(r) for r in tags] == [("https://dawn.com/news/1", "talks")]
    assert [r[1] for r in texts] == ["Full text.", "Full text."]
    engine.dispose()

    current = runner.invoke(main, _cli(tmp_path, db_url, "db", "current"))
    assert current.output.strip() == f"{head} (head)"
    again = runner.invoke(main, _cli(tmp_path, db_url, "db", "upgrade"))
    assert f"already at revision {head}" in again.output
    # The upgraded database works: its coverage matches a rebuild and new items go in.
    store = Store(db_url)
    assert_coverage_equals_rebuild(store)
    store.close()
    items = tmp_path / "items.jsonl"
    items.write_text(
        json.dumps({"url": "https://dawn.com/news/3", "title": "Torkham reopens", "source": "x"})
        + "\n",
        encoding="utf-8",
    )
    ingest = runner.invoke(main, _cli(tmp_path, db_url, "ingest", str(items)))
    assert ingest.exit_code == 0, ingest.output
    assert "1 new articles" in ingest.output


@pytest.mark.parametrize(
    "command", [["ingest", "ITEMS"], ["db", "stats"], ["db", "rebuild-coverage"], ["collect"]]
)
def test_a_command_on_an_old_schema_says_to_upgrade(tmp_path: Path, runner, db_url, command):
    engine = make_engine(db_url)
    migrations.upgrade(engine, FIRST)
    engine.dispose()
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"url": "https://dawn.com/news/9"}) + "\n", encoding="utf-8")
    args = [str(items) if word == "ITEMS" else word for word in command]

    result = runner.invoke(main, _cli(tmp_path, db_url, *args))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "revision 0001" in lines[0] and "run `borderwatch db upgrade`" in lines[0]
    # Nothing was written to the old schema.
    assert migrations.current_revision(make_engine(db_url)) == FIRST


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path, runner, db_url) -> None:
    """Tables of the first schema without a revision (made before migrations existed)."""
    engine = make_engine(db_url)
    migrations.upgrade(engine, FIRST)
    _fill_first_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    with pytest.raises(migrations.SchemaVersionError, match="no schema revision"):
        Store(db_url)
    result = runner.invoke(main, _cli(tmp_path, db_url, "db", "upgrade"))
    assert result.exit_code == 0, result.output
    assert migrations.current_revision(engine) == migrations.head_revision()
    assert _counts(engine)["articles"] == 2
    engine.dispose()


def test_a_database_from_a_newer_borderwatch_is_refused(tmp_path: Path, runner, db_url) -> None:
    Store(db_url).close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = runner.invoke(main, _cli(tmp_path, db_url, "db", "stats"))
    assert result.exit_code == 2
    assert "newer than this borderwatch knows" in result.stderr


def test_downgrade_copies_tables_without_losing_rows_that_refer_to_them(db_url: str) -> None:
    """Going back to 0001 rebuilds `articles` on SQLite (batch mode); its tags must survive."""
    engine = make_engine(db_url)
    migrations.upgrade(engine, FIRST)
    _fill_first_schema(engine)
    migrations.upgrade(engine)
    migrations.downgrade(engine, FIRST)
    assert migrations.current_revision(engine) == FIRST
    assert _counts(engine)["article_tags"] == 1
    migrations.upgrade(engine)
    assert _counts(engine)["article_tags"] == 1
    assert _schema_differences(engine) == []
    engine.dispose()


def test_every_revision_has_a_numbered_file_and_one_head() -> None:
    files = sorted(p.name for p in (migrations.MIGRATIONS / "versions").glob("[0-9]*.py"))
    assert files[0] == "0001_first_schema.py"
    assert migrations.known_revisions() >= {"0001", "0002"}
    assert migrations.head_revision() in migrations.known_revisions()


def test_the_migrations_are_in_the_package() -> None:
    """An installed borderwatch carries env.py, the template and every revision.

    (Checked against pyproject.toml's package settings: building a wheel here would need the
    network.)
    """
    import fnmatch
    import tomllib

    from setuptools import find_packages

    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    packages = find_packages(
        str(REPO), include=settings["setuptools"]["packages"]["find"]["include"]
    )
    assert {"pipeline.migrations", "pipeline.migrations.versions"} <= set(packages)
    patterns = settings["setuptools"]["package-data"]["*"]
    assert any(fnmatch.fnmatch("script.py.mako", pattern) for pattern in patterns)


def test_a_failed_migration_leaves_the_database_as_it_was(db_url: str) -> None:
    store = Store(db_url)
    engine = store.engine
    with pytest.raises(RuntimeError), migrations.migration_connection(engine) as conn:
        conn.execute(text("CREATE TABLE half_done (a INTEGER)"))
        conn.execute(text("INSERT INTO half_done VALUES (1)"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        raise RuntimeError("a migration step failed")
    assert _schema_differences(engine) == []
    assert migrations.current_revision(engine) == migrations.head_revision()
    if store.dialect == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    store.close()
