"""Weekly and monthly sums of the coverage tables, kept in step with them.

A trend over years reads one row per outlet and week (or month) instead of one per day: seven
(or thirty) times fewer rows. The rollups are derived like the daily tables: for the weeks and
months a change touched they are deleted and summed again from ``daily_coverage`` and
``daily_volume``, in the caller's transaction (``pipeline.coverage`` calls ``refresh``).

``week`` is the Monday that starts the ISO week and ``month`` the first day of the month, both as
dates; the other columns mean what they mean in the daily tables, summed (so ``stories`` counts
each outlet's distinct stories per day, added up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    event,
    func,
    literal,
    select,
    union,
)

from pipeline.tables import daily_coverage, daily_volume, metadata


def _coverage_table(name: str, period: str) -> Table:
    return Table(
        name,
        metadata,
        Column(period, Date, nullable=False),
        Column("source", String(200), nullable=False),
        Column("tag", String(64), nullable=False),
        Column("articles", Integer, nullable=False),
        Column("stories", Integer, nullable=False),
        # Primary key order serves a trend of one tag over some outlets; on SQLite the rows are
        # stored in that order (no rowid), so reading them needs no second look-up.
        PrimaryKeyConstraint("tag", "source", period),
        sqlite_with_rowid=False,
    )


def _volume_table(name: str, period: str) -> Table:
    return Table(
        name,
        metadata,
        Column(period, Date, nullable=False),
        Column("source", String(200), nullable=False),
        Column("articles", Integer, nullable=False),
        PrimaryKeyConstraint("source", period),
        sqlite_with_rowid=False,
    )


weekly_coverage = _coverage_table("weekly_coverage", "week")
weekly_volume = _volume_table("weekly_volume", "week")
monthly_coverage = _coverage_table("monthly_coverage", "month")
monthly_volume = _volume_table("monthly_volume", "month")

ROLLUPS = {
    "week": (weekly_coverage, weekly_volume),
    "month": (monthly_coverage, monthly_volume),
}


def period_start(day: dt.date, grain: str) -> dt.date:
    """The Monday of ``day``'s ISO week, or the first of its month."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(start: dt.date, grain: str) -> dt.date:
    """The last day of the period that begins on ``start``."""
    if grain == "week":
        return start + dt.timedelta(days=6)
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def refresh(conn: Connection, days: Iterable[dt.date]) -> None:
    """Sum the weeks and months that contain ``days`` again from the daily tables."""
    days = {d for d in days if d is not None}
    for grain, (coverage, volume) in ROLLUPS.items():
        for start in sorted({period_start(d, grain) for d in days}):
            _refresh_period(conn, grain, coverage, volume, start)


def clear(conn: Connection, since: dt.date | None = None) -> None:
    """Delete the rollups (from the period containing ``since`` on) before a full rebuild."""
    for grain, tables in ROLLUPS.items():
        for table in tables:
            stmt = delete(table)
            if since is not None:
                stmt = stmt.where(table.c[grain] >= period_start(since, grain))
            conn.execute(stmt)


def _refresh_period(
    conn: Connection, grain: str, coverage: Table, volume: Table, start: dt.date
) -> None:
    end = period_end(start, grain)
    conn.execute(delete(coverage).where(coverage.c[grain] == start))
    conn.execute(delete(volume).where(volume.c[grain] == start))
    c, v = daily_coverage.c, daily_volume.c
    conn.execute(
        coverage.insert().from_select(
            [grain, "source", "tag", "articles", "stories"],
            select(literal(start, Date), c.source, c.tag, func.sum(c.articles), func.sum(c.stories))
            .where(c.day >= start, c.day <= end)
            .group_by(c.source, c.tag),
        )
    )
    conn.execute(
        volume.insert().from_select(
            [grain, "source", "articles"],
            select(literal(start, Date), v.source, func.sum(v.articles))
            .where(v.day >= start, v.day <= end)
            .group_by(v.source),
        )
    )


@event.listens_for(metadata, "after_create")
def _fill_new_rollups(_target: Any, connection: Connection, **kw: Any) -> None:
    """Rollup tables created beside existing daily rows are filled at once.

    New databases are created with ``metadata.create_all`` (empty daily tables: nothing to do)
    and existing ones reach the rollups through migration 0007, which fills them; this keeps a
    ``create_all`` on a database that already has daily rows, as tools and tests may run, from
    leaving every trend at zero until the next rebuild.
    """
    created = {table.name for table in kw.get("tables", ())}
    if not created & {t.name for pair in ROLLUPS.values() for t in pair}:
        return
    days = union(select(daily_volume.c.day), select(daily_coverage.c.day))
    clear(connection)
    refresh(connection, [_as_date(row[0]) for row in connection.execute(days)])


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
