"""Derive daily_coverage and daily_volume from articles.

Coverage is never edited by hand: for a set of days it is deleted and recomputed from the
articles of those days, inside the caller's transaction, so it cannot drift from them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    delete,
    distinct,
    func,
    literal,
    select,
    tuple_,
)

from pipeline import rollups
from pipeline.schema import article_tags, articles, daily_coverage, daily_volume

ALL_TAGS = "*"
_DAYS_PER_STATEMENT = 500
_PAIRS_PER_STATEMENT = 300


def recompute_days(conn: Connection, days: Iterable[dt.date]) -> None:
    """Replace the coverage and volume rows of ``days`` with fresh aggregates."""
    wanted = sorted({_as_date(d) for d in days if d is not None})
    for start in range(0, len(wanted), _DAYS_PER_STATEMENT):
        part = wanted[start : start + _DAYS_PER_STATEMENT]
        _recompute(conn, articles.c.day.in_(bindparam("days", expanding=True)), {"days": part})


def recompute_pairs(conn: Connection, pairs: Iterable[tuple[dt.date, str]]) -> None:
    """Replace the coverage and volume rows of the given (day, source) pairs.

    What storing a chunk of articles changes: the cost follows the articles of those outlets on
    those days, not the articles of every outlet on those days.
    """
    wanted = sorted({(_as_date(d), s) for d, s in pairs if d is not None and s is not None})
    for start in range(0, len(wanted), _PAIRS_PER_STATEMENT):
        part = wanted[start : start + _PAIRS_PER_STATEMENT]
        days = sorted({d for d, _s in part})
        sources = sorted({s for _d, s in part})
        # Day and source lists narrow the index range; the pair list keeps exactly the pairs.
        keep = tuple_(articles.c.day, articles.c.source).in_(part)
        narrow = articles.c.day.in_(days) & articles.c.source.in_(sources) & keep
        for table in (daily_volume, daily_coverage):
            conn.execute(delete(table).where(tuple_(table.c.day, table.c.source).in_(part)))
        _insert_aggregates(conn, narrow, {})
    rollups.refresh(conn, {d for d, _s in wanted})


def rebuild(conn: Connection, since: dt.date | None = None) -> int:
    """Recompute everything (or everything from ``since`` on); returns the number of days."""
    day_query = select(articles.c.day).distinct()
    if since is not None:
        day_query = day_query.where(articles.c.day >= since)
    days = [row[0] for row in conn.execute(day_query)]
    # Days that no longer have articles must lose their stale rows too.
    for table in (daily_coverage, daily_volume):
        stmt = delete(table)
        if since is not None:
            stmt = stmt.where(table.c.day >= since)
        conn.execute(stmt)
    rollups.clear(conn, since)
    recompute_days(conn, days)
    return len(days)


def _recompute(conn: Connection, day_filter, params: dict) -> None:
    days = params["days"]
    conn.execute(delete(daily_volume).where(daily_volume.c.day.in_(days)))
    conn.execute(delete(daily_coverage).where(daily_coverage.c.day.in_(days)))
    _insert_aggregates(conn, day_filter, params)
    rollups.refresh(conn, days)


def _insert_aggregates(conn: Connection, day_filter, params: dict) -> None:

    volume = (
        select(articles.c.day, articles.c.source, func.count())
        .where(day_filter)
        .group_by(articles.c.day, articles.c.source)
    )
    conn.execute(daily_volume.insert().from_select(["day", "source", "articles"], volume), params)

    columns = ["day", "source", "tag", "articles", "stories"]
    for rows in coverage_selects(day_filter):
        conn.execute(daily_coverage.insert().from_select(columns, rows), params)


def coverage_selects(article_filter: Any, *, relevant_only: bool = True) -> list[Select]:
    """The rows of daily_coverage for the articles that meet ``article_filter``.

    Two SELECTs of (day, source, tag, articles, stories): every relevant article under tag
    ``*``, then each tag. ``relevant_only=False`` counts every article that meets the filter
    under ``*`` (a set of articles chosen by other means, such as an ad-hoc query over all
    articles); tags are only ever on relevant articles. The reports count an ad-hoc set of
    articles with these same statements.
    """
    everything = [article_filter]
    if relevant_only:
        everything.append(articles.c.relevant.is_(True))
    relevant_all = (
        select(
            articles.c.day.label("day"),
            articles.c.source.label("source"),
            literal(ALL_TAGS).label("tag"),
            func.count().label("articles"),
            func.count(distinct(articles.c.story_id)).label("stories"),
        )
        .where(*everything)
        .group_by(articles.c.day, articles.c.source)
    )
    per_tag = (
        select(
            articles.c.day.label("day"),
            articles.c.source.label("source"),
            article_tags.c.tag.label("tag"),
            func.count().label("articles"),
            func.count(distinct(articles.c.story_id)).label("stories"),
        )
        .select_from(articles.join(article_tags, article_tags.c.article_id == articles.c.id))
        .where(article_filter, articles.c.relevant.is_(True))
        .group_by(articles.c.day, articles.c.source, article_tags.c.tag)
    )
    return [relevant_all, per_tag]


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "date") and not isinstance(value, dt.date):
        return value.date()
    return value
