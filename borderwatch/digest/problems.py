"""Which sources need attention in the digest: the failing and silent sources of
``borderwatch.source_health.source_health``, judged with the digest's thresholds.

The digest depends only on the columns of the frame returned here: ``source``, ``name``,
``status`` (``failing`` or ``silent``) and ``detail`` (one line for a reader).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from borderwatch.source_health import flagged_sources, source_health
from pipeline.store import Store

PROBLEM_COLUMNS = ["source", "name", "status", "detail"]


def source_problems(
    store: Store,
    now: dt.datetime,
    *,
    silent_after: dt.timedelta,
    failing_after: int = 2,
    silence_factor: float = 4.0,
) -> pd.DataFrame:
    """Failing sources, then silent ones, each by name.

    Failing: a feed flagged or failed ``failing_after`` times in a row. Silent: no new article
    for ``silence_factor`` times the source's usual gap and at least ``silent_after``, or
    fetched without error but never an article (see ``borderwatch.source_health``).
    """
    health = flagged_sources(
        source_health(
            store,
            now,
            failure_threshold=failing_after,
            silence_factor=silence_factor,
            silence_min=silent_after,
        )
    )
    health = health.assign(failing_first=health["status"] != "failing").sort_values(
        ["failing_first", "name"], kind="stable"
    )
    return health.rename(columns={"reason": "detail"})[PROBLEM_COLUMNS].reset_index(drop=True)
