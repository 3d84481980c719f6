"""Date conversion and plausibility checks shared by feed, sitemap and page extraction.

Every date leaves the crawler as an ISO 8601 string in UTC (``2025-10-26T09:30:00+00:00``) or as
None. Dates that cannot be right for a news item (before the web had news sites, or more than a
day in the future) are treated like missing dates rather than trusted.
"""

from __future__ import annotations

import email.utils
import re
import time
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "EARLIEST",
    "MAX_FUTURE",
    "REGIONAL_ZONES",
    "plausible",
    "solar_hijri_to_gregorian",
    "to_utc_datetime",
    "to_utc_iso",
]

#: Anything older is a placeholder (1970-01-01, 0001-01-01) or a parsing accident.
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
#: Clock skew and sites that stamp local time as GMT stay within this; scheduled posts do not.
MAX_FUTURE = timedelta(days=1)

#: Zone abbreviations used by outlets in the region that generic RFC 822 parsers (including
#: feedparser's) do not know and silently read as UTC, which shifts a story by hours.
#: Ambiguous ones such as IST (India, Ireland, Israel) are deliberately absent.
REGIONAL_ZONES: dict[str, int] = {
    "PKT": 5 * 60,
    "PKST": 6 * 60,
    "AFT": 4 * 60 + 30,
    "IRST": 3 * 60 + 30,
    "IRDT": 4 * 60 + 30,
}

_TRAILING_ZONE = re.compile(r"\s([A-Za-z]{3,5})\s*$")

DateInput = time.struct_time | tuple | datetime | date | str | None


def _from_struct(value: time.struct_time | tuple) -> datetime | None:
    # feedparser's *_parsed values and time.gmtime() are UTC 9-tuples.
    try:
        return datetime(*tuple(value)[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _from_rfc822(text: str) -> datetime | None:
    zone = _TRAILING_ZONE.search(text)
    offset_minutes = None
    if zone and zone.group(1).upper() in REGIONAL_ZONES:
        offset_minutes = REGIONAL_ZONES[zone.group(1).upper()]
        text = text[: zone.start()]
    try:
        parts = email.utils.parsedate_tz(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parts is None:
        return None
    try:
        naive = datetime(*parts[:6])
    except (TypeError, ValueError, OverflowError):
        return None
    # A missing or unknown zone is read as UTC, the usual intent of feed generators.
    offset_seconds = offset_minutes * 60 if offset_minutes is not None else parts[9] or 0
    try:
        return naive.replace(tzinfo=UTC) - timedelta(seconds=offset_seconds)
    except OverflowError:
        return None


def _from_string(text: str) -> datetime | None:
    text = text.strip()
    if not text or len(text) > 100:
        return None
    iso = text[:-1] + "+00:00" if text[-1:] in "Zz" else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return _from_rfc822(text)
    return _normalize(parsed)


def _normalize(value: datetime) -> datetime | None:
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            # Naive values carry no zone: read them as UTC rather than as the crawler's local time.
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def to_utc_datetime(value: DateInput) -> datetime | None:
    """Convert a struct_time/9-tuple (taken as UTC), datetime, date or date string to an aware UTC
    datetime; None when the value is missing or cannot be understood.

    Strings may be ISO 8601 / W3C-DTF (``2025-10-26T09:30:00+05:00``, ``2025-10-26``) or RFC 822
    (``Sun, 26 Oct 2025 09:30:00 PKT``); a missing zone means UTC.
    """
    try:
        if value is None:
            return None
        if isinstance(value, datetime):
            return _normalize(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            return _from_string(value)
        if isinstance(value, time.struct_time | tuple):
            return _from_struct(value)
    except Exception:  # noqa: BLE001 - a date is optional; a bad one must never stop an item
        return None
    return None


def plausible(dt: datetime | None, now: datetime | None = None) -> bool:
    """True when ``dt`` can be the date of a news item: not before 1995-01-01 and not more than
    one day after ``now`` (default: the current time). Naive datetimes are taken as UTC."""
    if dt is None:
        return False
    dt = _normalize(dt)
    if dt is None:
        return False
    reference = _normalize(now) if now is not None else datetime.now(UTC)
    if reference is None:
        return False
    return EARLIEST <= dt <= reference + MAX_FUTURE


def to_utc_iso(value: DateInput, *, now: datetime | None = None, check: bool = True) -> str | None:
    """Convert ``value`` (see :func:`to_utc_datetime`) to an ISO 8601 UTC string with whole
    seconds, e.g. ``2025-10-26T09:30:00+00:00``.

    Returns None when the value is missing or unreadable and, unless ``check`` is False, when it
    is not :func:`plausible` relative to ``now``.
    """
    dt = to_utc_datetime(value)
    if dt is None:
        return None
    if check and not plausible(dt, now):
        return None
    return dt.replace(microsecond=0).isoformat()


#: 1 Hamal (Farvardin) 1404 of the Solar Hijri calendar, used in Afghanistan and Iran.
_SOLAR_HIJRI_ANCHOR = (1404, date(2025, 3, 21))


def _solar_hijri_leap(year: int) -> bool:
    # The 33-year arithmetic rule; it matches the astronomical calendar from 1244 to 1436 SH.
    return (25 * year + 11) % 33 < 8


def solar_hijri_to_gregorian(year: int, month: int, day: int) -> date | None:
    """The Gregorian date of a Solar Hijri (Afghan/Iranian) date, e.g. 4 Aqrab 1404 ->
    2025-10-26; None when the date does not exist or lies outside 1300-1499 SH."""
    if not 1300 <= year <= 1499 or not 1 <= month <= 12:
        return None
    length = 31 if month <= 6 else 30 if month <= 11 else (30 if _solar_hijri_leap(year) else 29)
    if not 1 <= day <= length:
        return None
    anchor_year, anchor = _SOLAR_HIJRI_ANCHOR
    days = sum(
        366 if _solar_hijri_leap(y) else 365
        for y in range(min(year, anchor_year), max(year, anchor_year))
    )
    offset = days if year >= anchor_year else -days
    offset += (month - 1) * 31 - max(0, month - 7) + day - 1
    return anchor + timedelta(days=offset)
