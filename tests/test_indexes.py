"""The report queries (by day, by tag, by source) use indexes: EXPLAIN on both back ends.

PostgreSQL prefers a sequential scan on small tables whatever the indexes, so its plans are
asked with sequential scans discouraged: a query still planned as a scan has no usable index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from borderwatch.collect import sync_configuration
from borderwatch.plan import processing_rules
from pipeline.process import process_items
from pipeline.store import Store
from tests.support.synthetic import make_items, persistence_config

# (what the report asks, the SQL, the index it must use on SQLite, on PostgreSQL)
REPORT_QUERIES = [
    (
        "coverage of a tag over a range of days",
        "SELECT day, SUM(articles) FROM daily_coverage "
        "WHERE tag = 'talks' AND day BETWEEN '2025-10-12' AND '2025-10-20' GROUP BY day",
        "ix_daily_coverage_tag_day",
        "ix_daily_coverage_tag_day",
    ),
    (
        "coverage of one day",
        "SELECT source, tag, articles FROM daily_coverage WHERE day = '2025-10-15'",
        "sqlite_autoindex_daily_coverage_1",
        "daily_coverage_pkey",
    ),
    (
        "coverage of one outlet over a range of days",
        "SELECT day, tag, articles FROM daily_coverage "
        "WHERE source = 'dawn' AND day >= '2025-10-12'",
        "ix_daily_coverage_source_day",
        "ix_daily_coverage_source_day",
    ),
    (
        "volume of a range of days",
        "SELECT day, SUM(articles) FROM daily_volume "
        "WHERE day BETWEEN '2025-10-12' AND '2025-10-20' GROUP BY day",
        "sqlite_autoindex_daily_volume_1",
        "daily_volume_pkey",
    ),
    (
        "volume of one outlet",
        "SELECT day, articles FROM daily_volume WHERE source = 'tolo' AND day >= '2025-10-12'",
        "ix_daily_volume_source_day",
        "ix_daily_volume_source_day",
    ),
    (
        "articles of a day",
        "SELECT id, title, source FROM articles WHERE day = '2025-10-15' AND relevant",
        "ix_articles_day_source_relevant_story",
        "ix_articles_day_source_relevant_story",
    ),
    (
        "articles of one outlet over a range of days",
        "SELECT id, title FROM articles "
        "WHERE source = 'pajhwok' AND day BETWEEN '2025-10-12' AND '2025-10-14'",
        "ix_articles_source_day_relevant_story_id",
        "ix_articles_source_day_relevant_story_id",
    ),
    (
        "the last 90 days of every outlet, for source health",
        "SELECT source, published_at, collected_at FROM articles "
        "WHERE collected_at >= '2025-08-01'",
        "ix_articles_collected_source_published",
        "ix_articles_collected_source_published",
    ),
    (
        "articles with a tag",
        "SELECT a.id, a.title FROM article_tags t JOIN articles a ON a.id = t.article_id "
        "WHERE t.tag = 'refugees'",
        "ix_article_tags_tag",
        "ix_article_tags_tag",
    ),
]


@pytest.fixture
def filled_store(tmp_path: Path, db_url: str):
    config = persistence_config(tmp_path)
    store = Store(db_url)
    sync_configuration(config, store)
    process_items(make_items(11, 800, "index"), processing_rules(config), store)
    with store.transaction() as conn:
        conn.execute(text("ANALYZE"))
    yield store
    store.close()


def _plan(store: Store, sql: str) -> str:
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            rows = conn.execute(text(f"EXPLAIN {sql}")).all()
            return "\n".join(r[0] for r in rows)
        rows = conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return "\n".join(r[-1] for r in rows)


def test_report_queries_use_their_indexes(filled_store: Store) -> None:
    missing = []
    for what, sql, sqlite_index, postgresql_index in REPORT_QUERIES:
        plan = _plan(filled_store, sql)
        index = postgresql_index if filled_store.dialect == "postgresql" else sqlite_index
        if index not in plan:
            missing.append(f"{what}: expected {index}, plan:\n{plan}")
    assert not missing, "\n\n".join(missing)


def test_a_query_without_an_index_is_noticed(filled_store: Store) -> None:
    """The check above can fail: a filter on an unindexed column is planned as a scan."""
    plan = _plan(filled_store, "SELECT id FROM articles WHERE author = 'nobody'")
    assert "ix_" not in plan
    assert ("Seq Scan" if filled_store.dialect == "postgresql" else "SCAN articles") in plan
