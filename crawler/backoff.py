"""When to fetch a target next: its interval, its failures and what the server asked for.

Failures back off linearly (interval × consecutive failures, capped at 24 hours); a
``Retry-After`` on 429/503 is honoured; a feed's own ttl moves the interval within bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_BACKOFF = timedelta(hours=24)
# After this many consecutive failures (or one 410 Gone) a target is flagged for the user.
FLAG_AFTER_FAILURES = 10
# The text of feed_state.flagged starts with one of these.
FLAG_GONE = "gone (HTTP 410)"
FLAG_FAILING = "failing"
# A flagged target is not retried on its normal rhythm: a gone one never (until the user resets
# it), a failing one once a week, so that a revived site is noticed without being hammered.
FLAGGED_RETRY = timedelta(days=7)


@dataclass(frozen=True)
class Intervals:
    default: int = 3600
    minimum: int = 900
    maximum: int = 43200


def polling_interval(intervals: Intervals, ttl_seconds: int | None) -> int:
    """The feed's own rhythm when it states one, kept within the configured bounds."""
    value = ttl_seconds if ttl_seconds else intervals.default
    return max(intervals.minimum, min(intervals.maximum, value))


def after_success(now: datetime, intervals: Intervals, ttl_seconds: int | None) -> datetime:
    return now + timedelta(seconds=polling_interval(intervals, ttl_seconds))


def after_failure(
    now: datetime, intervals: Intervals, failures: int, retry_after: timedelta | None = None
) -> datetime:
    """Linear backoff, capped; a server's Retry-After wins when it asks for longer."""
    wait = min(timedelta(seconds=intervals.default * max(1, failures)), MAX_BACKOFF)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_BACKOFF))
    return now + wait


def parse_retry_after(value: str | bytes | None, now: datetime) -> timedelta | None:
    """Seconds or an HTTP date, as a duration from ``now``; None when absent or unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    aware_now = now if now.tzinfo else now.replace(tzinfo=UTC)
    return max(timedelta(0), when - aware_now)
