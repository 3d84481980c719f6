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
    rows = list(items)

    # Column by column from plain lists: DataFrame.from_records would infer a dtype for every
    # column before each is converted again.
    def values(field: str) -> list[Any]:
        return [row.get(field) for row in rows]

    index = pd.RangeIndex(len(rows))
    published_at = _utc_naive(pd.Series(values("published"), index=index, dtype=object))
    collected_at = _utc_naive(pd.Series(values("collected_at"), index=index, dtype=object))
    collected_at = collected_at.fillna(pd.Timestamp(now))
    # A publication date later than the collection time is a server clock or time zone error.
    future = published_at > collected_at + pd.Timedelta(hours=1)
    published_at = published_at.mask(future)
    has_date = published_at.notna()
    columns: dict[str, Any] = {}
    for field in FIELDS:
        if field == "collected_at":
            columns[field] = collected_at
        elif field in TEXT_COLUMNS:
            columns[field] = pd.Series(pd.array(values(field), dtype="string"), index=index)
    source = columns["published_source"].where(has_date, "collected")
    source[has_date & source.isna()] = "feed"
    columns["published_source"] = source
    columns["text_status"] = columns["text_status"].fillna("not_fetched")
    columns["published_at"] = published_at
    columns["day"] = published_at.where(has_date, collected_at).dt.date
    return pd.DataFrame(columns, index=index)


def _utc_naive(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
