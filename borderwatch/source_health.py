"""The health of every configured source: failing feeds and sources gone silent.

A source is **failing** when one of its feeds failed ``failure_threshold`` times in a row or the
crawler flagged it (gone, refused). It is **silent** when it has had no new article for much
longer than its own usual rhythm: the 90th percentile of the gaps between its articles'
publication times over the last 90 days, times ``silence_factor``, and at least ``silence_min``.
Publication times measure the outlet's rhythm; collection times would measure our own polling
(and a first crawl collapses a whole backlog into one instant). A source with fewer than
``MIN_HISTORY`` dated articles has no rhythm yet and is not judged by it; one that is fetched
without error but has never yielded an article is silent (an empty feed, a listing page whose
links are not found).

``borderwatch status``, the daemon's health job and the digest all judge sources here, each
with its own thresholds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import select

from pipeline.schema import articles, feed_state, sources
from pipeline.store import Store, utcnow

HISTORY = dt.timedelta(days=90)
MIN_HISTORY = 5

COLUMNS = [
    "source",
    "name",
    "status",
    "reason",
    "feeds",
    "failing_feeds",
    "consecutive_failures",
    "last_success_at",
    "last_new_at",
    "usual_gap",
    "silent_for",
    "articles_90d",
]


def source_health(
    store: Store,
    now: dt.datetime | None = None,
    *,
    failure_threshold: int = 3,
    silence_factor: float = 4.0,
    silence_min: dt.timedelta = dt.timedelta(days=1),
) -> pd.DataFrame:
    """One row per source that has fetch targets, with ``status`` ok, failing, silent or new.

    ``now`` is naive UTC or aware (default: the current time). Times in the result are naive UTC;
    ``usual_gap`` and ``silent_for`` are Timedeltas (NaT when unknown).
    """
    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    with store.engine.connect() as conn:
        feeds = pd.read_sql(
            select(
                feed_state.c.source,
                feed_state.c.url,
                feed_state.c.consecutive_failures,
                feed_state.c.last_success_at,
                feed_state.c.last_fetch_at,
                feed_state.c.last_new_item_at,
                feed_state.c.last_error,
                feed_state.c.flagged,
            ),
            conn,
        )
        names = dict(conn.execute(select(sources.c.key, sources.c.name)).all())
        recent = pd.read_sql(
            select(articles.c.source, articles.c.published_at, articles.c.collected_at).where(
                articles.c.collected_at >= now - HISTORY
            ),
            conn,
        )
    return _judge_all(
        feeds, names, recent, now, failure_threshold, silence_factor, pd.Timedelta(silence_min)
    )


def _judge_all(
    feeds: pd.DataFrame,
    names: dict[str, str],
    recent: pd.DataFrame,
    now: dt.datetime,
    failure_threshold: int,
    silence_factor: float,
    silence_min: pd.Timedelta,
) -> pd.DataFrame:
    """Every source's row, its figures computed for all sources at once (a per-source loop of
    DataFrame operations costs tens of milliseconds each: seconds for hundreds of outlets)."""
    if feeds.empty:
        return pd.DataFrame(columns=COLUMNS)
    feeds = feeds.assign(
        failures=feeds["consecutive_failures"].fillna(0).astype(int),
        flag=feeds["flagged"].fillna("").astype(str).str.strip(),
        last_success_at=pd.to_datetime(feeds["last_success_at"]),
        last_fetch_at=pd.to_datetime(feeds["last_fetch_at"]),
        last_new_item_at=pd.to_datetime(feeds["last_new_item_at"]),
    )
    feeds["failing"] = (feeds["failures"] >= failure_threshold) | (feeds["flag"] != "")
    feeds["fetched"] = feeds["last_fetch_at"].notna() | feeds["last_success_at"].notna()
    per_source = feeds.groupby("source", sort=True).agg(
        feeds=("url", "size"),
        failing_feeds=("failing", "sum"),
        consecutive_failures=("failures", "max"),
        last_success_at=("last_success_at", "max"),
        succeeded=("last_success_at", "count"),
        last_new_item_at=("last_new_item_at", "max"),
        fetched=("fetched", "any"),
    )
    # Publication times, capped at collection time: a future date is a typo, not a rhythm.
    published = pd.to_datetime(recent["published_at"])
    collected = pd.to_datetime(recent["collected_at"])
    times = published.where(published <= collected, collected).fillna(collected)
    gaps = usual_gaps(recent["source"], times).to_dict()
    last_collected = collected.groupby(recent["source"]).max().to_dict()
    counts = recent.groupby("source").size().to_dict()
    groups = feeds.groupby("source", sort=True)
    rows = []
    for key, figures in zip(per_source.index, per_source.to_dict("records"), strict=True):
        gap = gaps.get(key, pd.NaT)
        last_new = _latest_of(figures["last_new_item_at"], last_collected.get(key))
        since_new = pd.Timestamp(now) - last_new if last_new is not pd.NaT else pd.NaT
        row = {
            "source": key,
            "name": names.get(key, key),
            "feeds": int(figures["feeds"]),
            "failing_feeds": int(figures["failing_feeds"]),
            "consecutive_failures": int(figures["consecutive_failures"]),
            "last_success_at": figures["last_success_at"],
            "last_new_at": last_new,
            "usual_gap": gap,
            "silent_for": since_new,
            "articles_90d": int(counts.get(key, 0)),
        }
        if row["failing_feeds"]:
            group = groups.get_group(key)
            row["status"] = "failing"
            row["reason"] = _failing_reason(group[group["failing"]], row["feeds"])
        elif not figures["fetched"]:
            row["status"], row["reason"] = "new", "not fetched yet"
        elif last_new is pd.NaT and figures["succeeded"]:
            row["status"], row["reason"] = "silent", "fetched, but no article yet"
        elif gap is not pd.NaT and since_new is not pd.NaT:
            limit = max(gap * silence_factor, silence_min)
            if since_new > limit:
                row["status"] = "silent"
                row["reason"] = (
                    f"no new article for {human_duration(since_new)}, since "
                    f"{last_new:%Y-%m-%d %H:%M} UTC (usually every {human_duration(gap)} or less)"
                )
            else:
                row["status"], row["reason"] = "ok", ""
        else:
            row["status"], row["reason"] = "ok", "too little history to judge silence"
        if row["status"] != "failing" and row["consecutive_failures"] > 0:
            # Not failing yet (one bad fetch may be passing trouble), but the reader should know.
            group = groups.get_group(key)
            said = _recent_failure(group, group["failures"], failure_threshold)
            row["reason"] = "; ".join(part for part in (said, row["reason"]) if part)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def usual_gaps(keys: pd.Series, times: pd.Series) -> pd.Series:
    """``usual_gap`` of each key's times (indexed by key; only keys with enough history)."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "at": pd.to_datetime(times).to_numpy()})
    frame = frame.dropna().drop_duplicates().sort_values(["key", "at"], kind="stable")
    if frame.empty:
        return pd.Series(dtype="timedelta64[ns]")
    distinct = frame.groupby("key").size()
    frame["gap"] = frame.groupby("key")["at"].diff()
    frame = frame[frame["gap"] > pd.Timedelta(0)]
    enough = distinct[distinct >= MIN_HISTORY].index
    frame = frame[frame["key"].isin(enough)]
    if frame.empty:
        return pd.Series(dtype="timedelta64[ns]")
    nanoseconds = frame["gap"].to_numpy().astype("timedelta64[ns]").astype(np.int64)
    quantiles = pd.Series(nanoseconds, index=frame.index).groupby(frame["key"]).quantile(0.9)
    return pd.to_timedelta(quantiles.round().astype(np.int64), unit="ns")


def usual_gap(times: pd.Series) -> pd.Timedelta:
    """The 90th percentile of gaps between consecutive distinct times (NaT: too few)."""
    gaps = usual_gaps(pd.Series(0, index=times.index), times)
    return gaps.iloc[0] if len(gaps) else pd.NaT


def _latest_of(*values: object) -> pd.Timestamp:
    present = [pd.Timestamp(v) for v in values if v is not None and not pd.isna(v)]
    return max(present) if present else pd.NaT


def _recent_failure(feeds: pd.DataFrame, failures: pd.Series, failure_threshold: int) -> str:
    """The worst feed's failures so far, below the threshold that makes a source failing."""
    worst = feeds.iloc[int(failures.to_numpy().argmax())]
    count = int(failures.max())
    error = _text(worst["last_error"])
    said = f"{count} failed {'fetch' if count == 1 else 'fetches'} in a row"
    said += f" (failing at {failure_threshold})"
    return f"{said}: {error[:160]}" if error else said


def _failing_reason(failing: pd.DataFrame, feeds: int) -> str:
    """One line for a reader: which feeds fail, how often in a row, the flag and last error."""
    worst = failing.iloc[int(failing["consecutive_failures"].fillna(0).to_numpy().argmax())]
    count = int(worst["consecutive_failures"] or 0)
    parts = ["its feed failing" if feeds == 1 else f"{len(failing)} of {feeds} feeds failing"]
    if count:
        parts.append(f"{count} failures in a row")
    flag, error = _text(worst["flagged"]), _text(worst["last_error"])
    if flag:
        parts.append(flag)
    if error:
        parts.append(f"last error: {error[:160]}")
    return "; ".join(parts)


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value).strip()


def human_duration(delta: pd.Timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    if seconds >= 2 * 3600:
        return f"{seconds // 3600}h"
    if seconds >= 120:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def flagged_sources(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a user should look at (failing or silent)."""
    return frame[frame["status"].isin(["failing", "silent"])]
