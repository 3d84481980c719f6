"""The dates of items where they enter, judged by the crawler's plausibility rules.

``ingest`` files and staged batches are read in one place (``borderwatch.ingest``), which calls
``check_dates`` on every item: a ``published``, ``updated`` or ``collected_at`` value that cannot
be read (``yesterday``, an offset of ``+25:00``) or cannot be right for a news item (before
1995-01-01, more than a day ahead: ``crawler.dates.plausible``) is dropped and reported, as the
crawler drops such dates, and the collection time stands in. A readable date is written as
ISO 8601 in UTC, which the stages read without guessing (RFC 822 dates included).
"""

from __future__ import annotations

import re
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
        # Already as this function writes it (the crawler's and staged items' dates): kept as
        # it is when plausible, without converting it back and forth.
        if isinstance(value, str) and _UTC_ISO(value) and plausible(_utc_or_none(value), now):
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


def _utc_or_none(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # digits in the right places, but no such day or time
        return None


# ISO 8601 in UTC as ``datetime.isoformat`` writes an aware UTC datetime: to the second, or to
# the microsecond when there are any.
_UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?\+00:00").fullmatch
