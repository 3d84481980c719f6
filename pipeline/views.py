"""Views and indexes for reading coverage: the report queries and users' own SQL.

The views join the coverage tables to ``sources`` and add ``week`` (the Monday that starts the
ISO week) and ``month`` (its first day), both as dates, so that trend questions read the same
on SQLite and PostgreSQL. A new database gets them with its tables (``metadata.create_all``), an
existing one from migration 0007; docs/schema.md documents them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Index, event, inspect, text

from pipeline.tables import daily_coverage, daily_volume, metadata

# A trend for one tag over a few sources reads only this index (covering: no table lookups).
Index(
    "ix_daily_coverage_tag_source_day",
    daily_coverage.c.tag,
    daily_coverage.c.source,
    daily_coverage.c.day,
    daily_coverage.c.articles,
    daily_coverage.c.stories,
)
# The denominator of the same trend: all articles of those sources, read from the index alone.
Index(
    "ix_daily_volume_source_day_articles",
    daily_volume.c.source,
    daily_volume.c.day,
    daily_volume.c.articles,
)

_WEEK = {
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is that ISO week's
    # Monday.
    "sqlite": "date({day}, 'weekday 0', '-6 days')",
    "postgresql": "CAST(date_trunc('week', {day}) AS DATE)",
}
_MONTH = {
    "sqlite": "date({day}, 'start of month')",
    "postgresql": "CAST(date_trunc('month', {day}) AS DATE)",
}

VIEW_NAMES = ("coverage_by_source", "volume_by_source")


def view_statements(dialect: str) -> list[str]:
    """CREATE VIEW statements for ``dialect`` (``sqlite`` or ``postgresql``)."""
    week, month = _WEEK[dialect], _MONTH[dialect]
    return [
        "CREATE VIEW coverage_by_source AS SELECT c.day AS day, "
        f"{week.format(day='c.day')} AS week, {month.format(day='c.day')} AS month, "
        "c.source AS source, s.name AS source_name, s.country AS country, "
        "s.language AS language, c.tag AS tag, c.articles AS articles, c.stories AS stories "
        "FROM daily_coverage c JOIN sources s ON s.key = c.source",
        "CREATE VIEW volume_by_source AS SELECT v.day AS day, "
        f"{week.format(day='v.day')} AS week, {month.format(day='v.day')} AS month, "
        "v.source AS source, s.name AS source_name, s.country AS country, "
        "s.language AS language, v.articles AS articles "
        "FROM daily_volume v JOIN sources s ON s.key = v.source",
    ]


def create_views(conn: Connection, *, replace: bool = False) -> None:
    """Create the views that are missing (all of them with ``replace``).

    Dialects other than SQLite and PostgreSQL get none.
    """
    dialect = conn.dialect.name
    if dialect not in _WEEK:
        return
    if not replace and set(VIEW_NAMES) <= set(inspect(conn).get_view_names()):
        return
    drop_views(conn)
    for statement in view_statements(dialect):
        conn.execute(text(statement))


def drop_views(conn: Connection) -> None:
    for name in VIEW_NAMES:
        conn.execute(text(f"DROP VIEW IF EXISTS {name}"))


@event.listens_for(metadata, "after_create")
def _after_create(_target: Any, connection: Connection, **_kw: Any) -> None:
    create_views(connection)


@event.listens_for(metadata, "before_drop")
def _before_drop(_target: Any, connection: Connection, **_kw: Any) -> None:
    # PostgreSQL refuses to drop a table a view depends on.
    drop_views(connection)
