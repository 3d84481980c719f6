"""The SQL behind the reports: SQLAlchemy Core statements with bound parameters only.

Each function returns a DataFrame of aggregates small enough for pandas to finish (one row per
day, source or story); the heavy lifting (filtering and summing millions of coverage rows) stays
in the database, on the indexes of pipeline/views.py.

A selection with an ad-hoc query (``Selection.matcher``) counts the articles the query matched:
their coverage rows are summed by the statements that build ``daily_coverage``
(``pipeline.coverage.coverage_selects``), over the matched ids passed as one array parameter;
the volume (the denominator) is still everything the outlets collected.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Integer,
    Table,
    and_,
    any_,
    bindparam,
    column,
    distinct,
    exists,
    func,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from borderwatch.reports.selection import Selection
from pipeline import rollups
from pipeline.coverage import coverage_selects
from pipeline.schema import article_tags, articles, daily_coverage, daily_volume, sources, stories

_DAY = dt.timedelta(days=1)

# The covering indexes (pipeline/views.py) a report over some outlets should read.
_READ_INDEX = {
    "daily_coverage": "ix_daily_coverage_tag_source_day",
    "daily_volume": "ix_daily_volume_source_day_articles",
}


def _filters(
    columns: Any, selection: Selection, since: dt.date | None, until: dt.date | None
) -> list:
    clauses = []
    if selection.source_keys is not None:
        clauses.append(columns.source.in_(list(selection.source_keys)))
    if since is not None:
        clauses.append(columns.day >= since)
    if until is not None:
        clauses.append(columns.day <= until)
    return clauses


def _reading(store: Any, table: Table, selection: Selection) -> tuple[Any, Any]:
    """The FROM element and columns to query ``table`` with.

    With an outlet filter on SQLite, the FROM names the covering (…, source, day, …) index:
    SQLite's planner otherwise prefers an index that returns the rows in GROUP BY day order and
    reads every outlet's rows (several times slower on years of history). The index name is a
    constant; every value stays a bound parameter.
    """
    index = _READ_INDEX[table.name]
    if store.dialect == "sqlite" and selection.source_keys is not None and _has_index(store, index):
        names = SimpleNamespace(**{c.name: column(c.name, c.type) for c in table.columns})
        return text(f"{table.name} INDEXED BY {index}"), names
    return table, table.c


def _has_index(store: Any, name: str) -> bool:
    """Whether the SQLite database has the index (a database from before migration 0007 may not)."""
    found = store.read_sql(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name = :name",
        {"name": name},
    )
    return bool(found.iloc[0]["n"])


def _coverage_sums(c: Any, key: Any) -> Any:
    """SELECT ``key``, tag and the summed articles and stories of coverage columns ``c``."""
    return select(
        key, c.tag, func.sum(c.articles).label("articles"), func.sum(c.stories).label("stories")
    )


def _unmatched(selection: Selection) -> None:
    """A selection with a query counts only what its matcher found: refuse one without."""
    if selection.query and selection.matcher is None:
        raise ValueError("a selection with a query needs its matcher (resolve_selection)")


def _ids_in(store: Any, ids: np.ndarray) -> Any:
    """``articles.id`` is one of ``ids``: one parameter whatever their number (a JSON array read
    by ``json_each`` on SQLite, an integer array on PostgreSQL)."""
    values = [int(i) for i in ids]
    if store.dialect == "sqlite":
        listed = select(column("value", Integer)).select_from(
            func.json_each(bindparam("matched_ids", json.dumps(values), unique=True))
        )
        return articles.c.id.in_(listed)
    array = bindparam("matched_ids", values, type_=ARRAY(Integer), unique=True)
    return articles.c.id == any_(array)


def _matched_coverage(
    store: Any, selection: Selection, since: dt.date | None, until: dt.date | None, key: str
) -> pd.DataFrame:
    """Coverage rows of the articles the selection's query matched, summed by ``key`` (day or
    source) and tag: what daily_coverage would hold for them."""
    ids = selection.matcher.ids(store, since, until)
    if not len(ids):
        return pd.DataFrame(
            {key: [], "tag": [], "articles": pd.Series(dtype="int64"), "stories": []}
        ).astype({"stories": "int64"})
    where = and_(_ids_in(store, ids), *_filters(articles.c, selection, since, until))
    rows = union_all(*coverage_selects(where, relevant_only=False)).subquery()
    query = (
        select(
            rows.c[key],
            rows.c.tag,
            func.sum(rows.c.articles).label("articles"),
            func.sum(rows.c.stories).label("stories"),
        )
        .where(rows.c.tag.in_(list(selection.topic_tags)))
        .group_by(rows.c[key], rows.c.tag)
    )
    frame = store.read_sql(query)
    for name in ("articles", "stories"):
        frame[name] = frame[name].fillna(0).astype(int)
    return frame


def coverage_by_day(
    store: Any, selection: Selection, since: dt.date | None, until: dt.date | None
) -> pd.DataFrame:
    """Relevant articles and stories per day and tag (columns day, tag, articles, stories)."""
    _unmatched(selection)
    if selection.matcher is not None:
        return _dated(_matched_coverage(store, selection, since, until, "day"))
    source, c = _reading(store, daily_coverage, selection)
    query = (
        _coverage_sums(c, c.day)
        .select_from(source)
        .where(c.tag.in_(list(selection.topic_tags)), *_filters(c, selection, since, until))
        .group_by(c.day, c.tag)
    )
    return _dated(store.read_sql(query))


def volume_by_day(
    store: Any, selection: Selection, since: dt.date | None, until: dt.date | None
) -> pd.DataFrame:
    """All collected articles per day from the selected sources (columns day, volume)."""
    source, v = _reading(store, daily_volume, selection)
    query = (
        select(v.day, func.sum(v.articles).label("volume"))
        .select_from(source)
        .where(*_filters(v, selection, since, until))
        .group_by(v.day)
    )
    return _dated(store.read_sql(query))


def split_range(
    grain: str, since: dt.date | None, until: dt.date | None
) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date | None, dt.date | None] | None]:
    """Cut [since, until] into whole periods (read from the rollups) and the days around them.

    Returns the day ranges to read from the daily tables and the (first, last) period starts to
    read from the rollups (None: no whole period; a None bound: unbounded).
    """
    first = since
    if since is not None and since != rollups.period_start(since, grain):
        first = rollups.period_end(rollups.period_start(since, grain), grain) + _DAY
    last_end = until
    if until is not None and until != rollups.period_end(rollups.period_start(until, grain), grain):
        last_end = rollups.period_start(until, grain) - _DAY
    if first is not None and last_end is not None and first > last_end:
        return [(since, until)], None  # type: ignore[list-item]
    days = []
    if since is not None and first != since:
        days.append((since, first - _DAY))
    if until is not None and last_end != until:
        days.append((last_end + _DAY, until))
    last = None if last_end is None else rollups.period_start(last_end, grain)
    return days, (first, last)


def _rollup_filters(columns: Any, grain: str, selection: Selection, whole: tuple) -> list:
    first, last = whole
    clauses = []
    if selection.source_keys is not None:
        clauses.append(columns.source.in_(list(selection.source_keys)))
    if first is not None:
        clauses.append(columns[grain] >= first)
    if last is not None:
        clauses.append(columns[grain] <= last)
    return clauses


def coverage_by_period(
    store: Any, selection: Selection, grain: str, since: dt.date | None, until: dt.date | None
) -> pd.DataFrame:
    """Relevant articles and stories per period start and tag (columns day, tag, articles,
    stories; ``day`` is the period's first day): whole periods from the rollups, the days
    around them from daily_coverage."""
    _unmatched(selection)
    if selection.matcher is not None:
        part = coverage_by_day(store, selection, since, until)
        part["day"] = _starts(part["day"], grain)
        return _regroup([part], ["day", "tag"], ["articles", "stories"], mapped=True)
    days, whole = split_range(grain, since, until)
    frames = []
    if whole is not None:
        table = rollups.ROLLUPS[grain][0]
        c = table.c
        query = (
            _coverage_sums(c, c[grain].label("day"))
            .where(
                c.tag.in_(list(selection.topic_tags)),
                *_rollup_filters(c, grain, selection, whole),
            )
            .group_by(c[grain], c.tag)
        )
        frames.append(_dated(store.read_sql(query)))
    for first, last in days:
        part = coverage_by_day(store, selection, first, last)
        part["day"] = _starts(part["day"], grain)
        frames.append(part)
    return _regroup(frames, ["day", "tag"], ["articles", "stories"], mapped=bool(days))


def volume_by_period(
    store: Any, selection: Selection, grain: str, since: dt.date | None, until: dt.date | None
) -> pd.DataFrame:
    """All collected articles per period start (columns day, volume), like coverage_by_period."""
    days, whole = split_range(grain, since, until)
    frames = []
    if whole is not None:
        table = rollups.ROLLUPS[grain][1]
        c = table.c
        query = (
            select(c[grain].label("day"), func.sum(c.articles).label("volume"))
            .where(*_rollup_filters(c, grain, selection, whole))
            .group_by(c[grain])
        )
        frames.append(_dated(store.read_sql(query)))
    for first, last in days:
        part = volume_by_day(store, selection, first, last)
        part["day"] = _starts(part["day"], grain)
        frames.append(part)
    return _regroup(frames, ["day"], ["volume"], mapped=bool(days))


def _starts(days: pd.Series, grain: str) -> pd.Series:
    index = pd.DatetimeIndex(days)
    if grain == "week":
        return pd.Series(index - pd.to_timedelta(index.day_of_week, unit="D"), index=days.index)
    return pd.Series(index.to_period("M").to_timestamp(), index=days.index)


def _regroup(
    frames: list[pd.DataFrame], keys: list[str], values: list[str], mapped: bool = False
) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        empty = {k: pd.Series(dtype="datetime64[ns]" if k == "day" else "object") for k in keys}
        return pd.DataFrame({**empty, **{c: pd.Series(dtype="int64") for c in values}})
    if len(frames) == 1 and not mapped:
        return frames[0]
    # Days mapped to their period start repeat keys: sum them, even in a single frame.
    return pd.concat(frames, ignore_index=True).groupby(keys, as_index=False)[values].sum()


def coverage_by_source(store: Any, selection: Selection) -> pd.DataFrame:
    """Relevant articles and stories per source and tag over the selection's dates: whole months
    from monthly_coverage, the days around them from daily_coverage."""
    _unmatched(selection)
    if selection.matcher is not None:
        return _matched_coverage(store, selection, selection.since, selection.until, "source")
    days, whole = split_range("month", selection.since, selection.until)
    frames = []
    if whole is not None:
        c = rollups.monthly_coverage.c
        frames.append(
            store.read_sql(
                _coverage_sums(c, c.source)
                .where(
                    c.tag.in_(list(selection.topic_tags)),
                    *_rollup_filters(c, "month", selection, whole),
                )
                .group_by(c.source, c.tag)
            )
        )
    for first, last in days:
        source, c = _reading(store, daily_coverage, selection)
        frames.append(
            store.read_sql(
                _coverage_sums(c, c.source)
                .select_from(source)
                .where(c.tag.in_(list(selection.topic_tags)), *_filters(c, selection, first, last))
                .group_by(c.source, c.tag)
            )
        )
    return _regroup(frames, ["source", "tag"], ["articles", "stories"])


def volume_by_source(store: Any, selection: Selection) -> pd.DataFrame:
    """All collected articles per source over the selection's dates (columns source, volume)."""
    days, whole = split_range("month", selection.since, selection.until)
    frames = []
    if whole is not None:
        c = rollups.monthly_volume.c
        frames.append(
            store.read_sql(
                select(c.source, func.sum(c.articles).label("volume"))
                .where(*_rollup_filters(c, "month", selection, whole))
                .group_by(c.source)
            )
        )
    for first, last in days:
        source, v = _reading(store, daily_volume, selection)
        frames.append(
            store.read_sql(
                select(v.source, func.sum(v.articles).label("volume"))
                .select_from(source)
                .where(*_filters(v, selection, first, last))
                .group_by(v.source)
            )
        )
    return _regroup(frames, ["source"], ["volume"])


def source_table(store: Any) -> pd.DataFrame:
    return store.read_sql(
        select(sources.c.key.label("source"), sources.c.name, sources.c.country, sources.c.language)
    )


def selected_articles(store: Any, selection: Selection) -> list:
    """Conditions on ``articles`` for the articles of the selection: the relevant ones, or those
    its ad-hoc query matched; with tags, those that carry one of them."""
    _unmatched(selection)
    a = articles
    clauses = _filters(a.c, selection, selection.since, selection.until)
    if selection.matcher is None:
        clauses.append(a.c.relevant.is_(True))
    else:
        matched = selection.matcher.ids(store, selection.since, selection.until)
        clauses.append(_ids_in(store, matched))
    tags = [t for t in selection.topic_tags if t != "*"]
    if tags:
        clauses.append(
            exists().where(and_(article_tags.c.article_id == a.c.id, article_tags.c.tag.in_(tags)))
        )
    return clauses


def top_stories(store: Any, selection: Selection, limit: int) -> pd.DataFrame:
    """The stories most outlets carried: story_id, day, title, outlets, articles, countries."""
    a, s = articles, sources
    ranked = (
        select(
            a.c.story_id,
            func.count(distinct(a.c.source)).label("outlets"),
            func.count().label("articles"),
            func.count(distinct(s.c.country)).label("countries"),
            func.min(a.c.day).label("first_day"),
        )
        .select_from(a.join(s, s.c.key == a.c.source))
        .where(*selected_articles(store, selection), a.c.story_id.is_not(None))
        .group_by(a.c.story_id)
        .order_by(func.count(distinct(a.c.source)).desc(), func.count().desc(), a.c.story_id)
        .limit(limit)
        .subquery()
    )
    query = select(ranked, stories.c.title).join(stories, stories.c.id == ranked.c.story_id)
    return store.read_sql(query)


def story_outlets(store: Any, selection: Selection, story_ids: list[int]) -> pd.DataFrame:
    """(story_id, name, country) of the selected articles of the given stories."""
    if not story_ids:
        return pd.DataFrame(columns=["story_id", "name", "country"])
    a, s = articles, sources
    query = (
        select(a.c.story_id, s.c.name, s.c.country)
        .select_from(a.join(s, s.c.key == a.c.source))
        .where(*selected_articles(store, selection), a.c.story_id.in_(story_ids))
        .distinct()
    )
    return store.read_sql(query)


def story_leads(store: Any, story_ids: list[int]) -> pd.DataFrame:
    """(story_id, began, url): the day of each story's first article (whichever outlet) and the
    link of its lead article."""
    if not story_ids:
        return pd.DataFrame(columns=["story_id", "began", "url"])
    s, a = stories, articles
    query = (
        select(s.c.id.label("story_id"), s.c.day.label("began"), a.c.url)
        .select_from(s.outerjoin(a, a.c.id == s.c.lead_article_id))
        .where(s.c.id.in_(story_ids))
    )
    return store.read_sql(query)


def story_tags(store: Any, selection: Selection, story_ids: list[int]) -> pd.DataFrame:
    """(story_id, tag) of the selected articles of the given stories (the tag filter aside)."""
    if not story_ids:
        return pd.DataFrame(columns=["story_id", "tag"])
    a, t = articles, article_tags
    query = (
        select(a.c.story_id, t.c.tag)
        .select_from(t.join(a, a.c.id == t.c.article_id))
        .where(*selected_articles(store, replace(selection, tags=())), a.c.story_id.in_(story_ids))
        .distinct()
    )
    return store.read_sql(query)


def story_row(store: Any, story_id: int) -> pd.DataFrame:
    """The stories row of one story (empty when there is none)."""
    return store.read_sql(select(stories).where(stories.c.id == story_id))


def story_articles(store: Any, story_id: int) -> pd.DataFrame:
    """Every article of one story, relevant or not, with its outlet, oldest first."""
    a, s = articles, sources
    when = func.coalesce(a.c.published_at, a.c.collected_at)
    query = (
        select(
            a.c.id.label("article_id"),
            when.label("published"),
            a.c.day,
            a.c.source,
            s.c.name,
            s.c.country,
            a.c.language,
            a.c.relevant,
            a.c.title,
            a.c.url,
        )
        .select_from(a.join(s, s.c.key == a.c.source))
        .where(a.c.story_id == story_id)
        .order_by(when, a.c.id)
    )
    return store.read_sql(query)


def article_tag_list(store: Any, article_ids: list[int]) -> pd.DataFrame:
    """(article_id, tag) of the given articles."""
    if not article_ids:
        return pd.DataFrame(columns=["article_id", "tag"])
    t = article_tags
    return store.read_sql(select(t.c.article_id, t.c.tag).where(t.c.article_id.in_(article_ids)))


def article_tag_pairs(store: Any, selection: Selection) -> pd.DataFrame:
    """(article_id, tag) of the relevant articles of the selection (the tag filter aside)."""
    a, t = articles, article_tags
    query = (
        select(t.c.article_id, t.c.tag)
        .select_from(t.join(a, a.c.id == t.c.article_id))
        .where(*selected_articles(store, replace(selection, tags=())))
    )
    return store.read_sql(query)


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """Make ``day`` a datetime64 column whatever the driver returned (SQLite gives strings)."""
    frame["day"] = pd.to_datetime(frame["day"])
    for name in ("articles", "stories", "volume"):
        if name in frame:
            frame[name] = frame[name].fillna(0).astype(int)
    return frame


__all__ = [
    "article_tag_list",
    "article_tag_pairs",
    "story_articles",
    "story_leads",
    "story_row",
    "story_tags",
    "selected_articles",
    "coverage_by_day",
    "coverage_by_source",
    "source_table",
    "story_outlets",
    "top_stories",
    "volume_by_day",
    "volume_by_source",
]
