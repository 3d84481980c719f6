"""``report health``: the sources that are failing or silent; ``report fetches``: the fetch
targets of a source, with their last fetch and error.

Sources are judged by ``borderwatch.source_health.source_health`` with the thresholds of
``borderwatch status`` (config.yaml ``schedule:``), so both say the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select

from borderwatch.reports.report import Report
from borderwatch.reports.selection import ReportInputError
from borderwatch.source_health import flagged_sources, human_duration, source_health
from pipeline.schema import feed_state, sources

HEALTH_COLUMNS = [
    "source",
    "name",
    "status",
    "reason",
    "feeds",
    "failing_feeds",
    "last_success_at",
    "last_new_at",
    "usual_gap",
    "articles_90d",
]
FETCH_COLUMNS = [
    "url",
    "kind",
    "last_fetch_at",
    "last_success_at",
    "last_status",
    "consecutive_failures",
    "last_error",
    "flagged",
    "entries_last",
    "last_new_item_at",
    "next_fetch_at",
]
_TIMES = ("last_success_at", "last_new_at", "last_fetch_at", "last_new_item_at", "next_fetch_at")


def source_status(
    store: Any,
    *,
    now: dt.datetime | None = None,
    failure_threshold: int = 3,
    silence_factor: float = 4.0,
    silence_min: dt.timedelta = dt.timedelta(days=1),
    every: bool = False,
    keys: tuple[str, ...] = (),
) -> Report:
    """Failing sources first, then silent ones (``every``: all sources, ``ok`` and ``new`` too).

    ``keys``: only these sources (by key). Times are UTC; ``usual_gap`` is the outlet's usual
    time between articles (``12h``, ``2d``), empty while it has too little history.
    """
    health = source_health(
        store,
        now,
        failure_threshold=failure_threshold,
        silence_factor=silence_factor,
        silence_min=silence_min,
    )
    if keys:
        known = set(store.read_sql(select(sources.c.key))["key"])
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise ReportInputError(f"unknown source {', '.join(repr(k) for k in unknown)}")
        health = health[health["source"].isin(keys)]
    if not every:
        health = flagged_sources(health)
    rank = {"failing": 0, "silent": 1, "new": 2, "ok": 3}
    health = health.assign(_rank=health["status"].map(rank)).sort_values(
        ["_rank", "name"], kind="stable"
    )
    table = health[HEALTH_COLUMNS].reset_index(drop=True)
    table["usual_gap"] = [
        "" if pd.isna(gap) else human_duration(pd.Timedelta(gap)) for gap in table["usual_gap"]
    ]
    _minutes(table)
    title = "Source health" if every else "Sources failing or silent"
    least = human_duration(pd.Timedelta(silence_min))
    notes = [
        f"failing: a feed failed {failure_threshold} times in a row or was flagged; silent: no "
        f"new article for {silence_factor:g}× the usual gap (at least {least})"
    ]
    return Report("health", title, table, notes)


def fetches(store: Any, key: str) -> Report:
    """Every fetch target of one source: its last fetch, outcome, error and next fetch (UTC)."""
    known = store.read_sql(select(sources.c.key, sources.c.name).where(sources.c.key == key))
    if known.empty:
        raise ReportInputError(f"unknown source {key!r}")
    f = feed_state.c
    table = store.read_sql(
        select(*[f[name] for name in FETCH_COLUMNS]).where(f.source == key).order_by(f.url)
    )
    for name in ("consecutive_failures", "entries_last"):
        table[name] = table[name].astype("Int64")
    _minutes(table)
    return Report("fetches", f"Fetch targets of {known.iloc[0]['name']}", table[FETCH_COLUMNS])


def _minutes(table: pd.DataFrame) -> None:
    """Times to the minute, as text (``2025-10-27 06:40``), empty when unknown."""
    for name in _TIMES:
        if name in table:
            times = pd.to_datetime(table[name])
            table[name] = times.dt.strftime("%Y-%m-%d %H:%M").fillna("")


__all__ = ["FETCH_COLUMNS", "HEALTH_COLUMNS", "fetches", "source_status"]
