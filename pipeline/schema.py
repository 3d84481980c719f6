"""The database schema, complete: the base tables, the weekly and monthly rollups, and the
views and reading indexes over the coverage tables, all on one ``metadata``.

Each of those modules adds to the metadata of pipeline/tables.py when it is imported; this
module imports all of them, so whoever imports ``metadata`` (or a table) from here holds the
whole schema, and nothing below imports back up. Their names and columns are public:
docs/schema.md documents them.
"""

from __future__ import annotations

from pipeline import views  # noqa: F401 - its indexes and CREATE VIEW events join metadata
from pipeline.rollups import monthly_coverage, monthly_volume, weekly_coverage, weekly_volume
from pipeline.tables import (
    article_tags,
    articles,
    crawl_workers,
    daily_coverage,
    daily_volume,
    database_info,
    digests,
    feed_state,
    ingested_batches,
    metadata,
    quarantine,
    runs,
    sources,
    staged_batches,
    stories,
    story_keys,
    story_signatures,
)

__all__ = [
    "article_tags",
    "articles",
    "crawl_workers",
    "daily_coverage",
    "daily_volume",
    "database_info",
    "digests",
    "feed_state",
    "ingested_batches",
    "metadata",
    "monthly_coverage",
    "monthly_volume",
    "quarantine",
    "runs",
    "sources",
    "staged_batches",
    "stories",
    "story_keys",
    "story_signatures",
    "weekly_coverage",
    "weekly_volume",
]
