"""Dates of items where they enter: a value already in the form ``check_dates`` writes is kept
as it is when plausible, and every value ends as the full conversion would leave it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.item_dates import check_dates
from crawler.dates import plausible, to_utc_datetime

NOW = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


def _converted(value: str) -> str | None:
    """What the full conversion gives: ISO 8601 UTC, or None for a dropped date."""
    moment = to_utc_datetime(value)
    return moment.isoformat() if moment is not None and plausible(moment, NOW) else None


@pytest.mark.parametrize(
    "value",
    [
        "2025-10-01T00:00:00+00:00",
        "2025-10-01T00:01:01.714286+00:00",
        "2025-10-01T00:00:00.000000+00:00",  # written without the zero microseconds
        "2025-10-01T00:00:00.5+00:00",
        "2025-10-01T05:00:00+05:00",
        "2025-10-01T00:00:00Z",
        "2025-13-01T00:00:00+00:00",  # no such month
        "1990-10-01T00:00:00+00:00",  # too old
        "2025-11-02T12:00:01+00:00",  # more than a day ahead
        "2025-11-02T12:00:00+00:00",  # exactly a day ahead: still plausible
        "Sat, 01 Nov 2025 09:30:00 PKT",
    ],
)
def test_every_date_ends_as_the_full_conversion_leaves_it(value: str) -> None:
    notes: list[str] = []
    item = check_dates({"url": "https://example.com/a", "published": value}, notes, NOW)
    assert item.get("published") == _converted(value)
    assert bool(notes) == (_converted(value) is None)
