"""The dates of items where they enter, judged by the crawler's plausibility rules.

``ingest`` files and staged batches are read in one place (``borderwatch.ingest``), which calls
``check_dates`` on every item: a ``published``, ``updated`` or ``collected_at`` value that cannot
be read (``yesterday``, an offset of ``+25:00``) or cannot be right for a news item (before
1995-01-01, more than a day ahead: ``crawler.dates.plausible``) is dropped and reported, as the
crawler drops such dates, and the collection time stands in. A readable date is written as
ISO 8601 in UTC, which the stages read without guessing (RFC 822 dates included).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.dates import EARLIEST, plausible, to_utc_datetime

DATE_FIELDS = ("published", "updated", "collected_at")


def check_dates(
    item: dict[str, Any], notes: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """``item`` with its dates in ISO 8601 UTC, and those that fail dropped (noted in ``notes``);
    dates are judged against ``now`` (default: the current time)."""
    for field in DATE_FIELDS:
        value = item.get(field)
        if value is None:
            continue
        moment = to_utc_datetime(value)
        instead = {"published": "; the collection time stands in", "updated": ""}.get(
            field, "; the processing time stands in"
        )
        if moment is None:
            notes.append(f"field {field!r} is not a date: {value[:60]!r}{instead}")
            del item[field]
        elif not plausible(moment, now):
            when = f"before {EARLIEST:%Y-%m-%d}" if moment < EARLIEST else "more than a day ahead"
            notes.append(f"field {field!r} is {when} ({value[:60]}){instead}")
            del item[field]
        else:
            item[field] = moment.isoformat()
    return item
