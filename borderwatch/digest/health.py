"""Which sources need attention in the digest: failing fetches and outlets gone silent.

Reads ``feed_state`` directly. ``borderwatch.health.source_health`` (the daemon's health report)
answers the same question with a per-source rhythm; once both are on one branch,
``source_problems`` can become::

    health = source_health(store, now, failure_threshold=failing_after,
                           silence_min=silent_after)
    health = health[health["status"].isin(["failing", "silent"])]
    return health.rename(columns={"reason": "detail"})[PROBLEM_COLUMNS]

The digest depends only on the columns of the frame returned here: ``source``, ``name``,
``status`` (``failing`` or ``silent``) and ``detail`` (one line for a reader).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from pipeline.schema import feed_state, sources
from pipeline.store import Store

PROBLEM_COLUMNS = ["source", "name", "status", "detail"]


def source_problems(
    store: Store, now: dt.datetime, *, silent_after: dt.timedelta, failing_after: int = 2
) -> pd.DataFrame:
    """Sources with a failing or flagged fetch target, then sources with nothing new for a while.

    A target is failing when it is flagged or has failed ``failing_after`` times in a row. A
    source is silent when none of its working targets yielded a new article within
    ``silent_after`` of ``now`` (naive UTC), or never did although fetched successfully.
    """
    query = select(
        feed_state.c.source,
        feed_state.c.url,
        feed_state.c.last_success_at,
        feed_state.c.last_error,
        feed_state.c.consecutive_failures,
        feed_state.c.last_new_item_at,
        feed_state.c.flagged,
        sources.c.name,
    ).join(sources, sources.c.key == feed_state.c.source)
    frame = store.read_sql(query)
    if frame.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    now = _naive_utc(now) if now.tzinfo else now
    rows = []
    for key, group in frame.groupby("source", sort=True):
        name = str(group["name"].iloc[0])
        failures = group["consecutive_failures"].fillna(0).astype(int)
        flagged = group["flagged"].fillna("").astype(str).str.strip()
        failing = group[(failures >= failing_after) | (flagged != "")]
        if len(failing):
            rows.append((key, name, "failing", _failing_detail(failing, len(group))))
            continue
        fetched = group[group["last_success_at"].notna()]
        if fetched.empty:
            continue  # never fetched yet: nothing to say about it
        newest = pd.to_datetime(fetched["last_new_item_at"]).max()
        if pd.isna(newest):
            rows.append((key, name, "silent", "fetched, but no article yet"))
        elif now - newest.to_pydatetime() > silent_after:
            rows.append((key, name, "silent", f"no new article since {newest:%Y-%m-%d %H:%M} UTC"))
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def _failing_detail(failing: pd.DataFrame, targets: int) -> str:
    worst = failing.sort_values("consecutive_failures", ascending=False).iloc[0]
    count = int(worst["consecutive_failures"] or 0)
    which = "its feed" if targets == 1 else f"{len(failing)} of {targets} feeds"
    parts = [f"{which} failing"]
    if count:
        parts.append(f"{count} failures in a row")
    flag = str(worst["flagged"] or "").strip()
    error = str(worst["last_error"] or "").strip()
    if flag:
        parts.append(flag)
    if error:
        parts.append(f"last error: {error[:160]}")
    return "; ".join(parts)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)
