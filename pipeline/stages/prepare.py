"""Stage 1: items (dicts in the public item format) to a typed DataFrame.

Dates become naive UTC timestamps; an article's ``day`` is the UTC day of its publication date,
or of its collection time when it has none (``published_source`` then says ``collected``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.items import FIELDS

TEXT_COLUMNS = [f for f in FIELDS if f not in ("published", "collected_at", "updated")]


def items_to_frame(items: Sequence[dict[str, Any]], now: dt.datetime) -> pd.DataFrame:
    """One row per item with every item field present (missing values are NA)."""
    frame = pd.DataFrame.from_records(list(items), columns=list(FIELDS))
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("string")
    frame["published_at"] = _utc_naive(frame["published"])
    frame["collected_at"] = _utc_naive(frame["collected_at"]).fillna(pd.Timestamp(now))
    # A publication date later than the collection time is a server clock or time zone error.
    future = frame["published_at"] > frame["collected_at"] + pd.Timedelta(hours=1)
    frame.loc[future, "published_at"] = pd.NaT
    has_date = frame["published_at"].notna()
    frame["published_source"] = frame["published_source"].where(has_date, "collected")
    frame.loc[has_date & frame["published_source"].isna(), "published_source"] = "feed"
    when = frame["published_at"].where(has_date, frame["collected_at"])
    frame["day"] = when.dt.date
    frame["text_status"] = frame["text_status"].fillna("not_fetched")
    return frame.drop(columns=["published", "updated"])


def _utc_naive(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
