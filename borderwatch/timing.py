"""When the daily digest is due, in a configured IANA zone, across daylight-saving changes.

Pure functions of a clock reading, so the schedule is tested without waiting. The digest sent on
local date D covers the local day D - 1 and is due at ``digest_time`` on D. A clock time that
does not exist on D (skipped when clocks go forward) is read with the offset in force before
the change, i.e. that many minutes after the jump (01:30 on a 01:00→02:00 day is 02:30); a time
that happens twice (clocks go back) is its first occurrence. Either way each date has exactly
one due moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DigestSlot:
    """One daily digest: when it is due (aware, UTC) and the local day it covers."""

    due_at: dt.datetime
    day: dt.date


def slot_on(date: dt.date, clock: dt.time, zone: ZoneInfo) -> DigestSlot:
    """The digest due on local ``date`` (covering the day before)."""
    local = dt.datetime.combine(date, clock.replace(tzinfo=None, fold=0), tzinfo=zone)
    return DigestSlot(due_at=local.astimezone(dt.UTC), day=date - dt.timedelta(days=1))


def next_slot(after: dt.datetime, clock: dt.time, zone: ZoneInfo) -> DigestSlot:
    """The first digest due strictly after ``after`` (an aware datetime)."""
    local_date = after.astimezone(zone).date()
    for offset in range(-1, 3):
        slot = slot_on(local_date + dt.timedelta(days=offset), clock, zone)
        if slot.due_at > after:
            return slot
    raise AssertionError("no digest time within three days")  # pragma: no cover


def latest_slot(now: dt.datetime, clock: dt.time, zone: ZoneInfo) -> DigestSlot:
    """The last digest due at or before ``now``."""
    local_date = now.astimezone(zone).date()
    for offset in range(1, -3, -1):
        slot = slot_on(local_date + dt.timedelta(days=offset), clock, zone)
        if slot.due_at <= now:
            return slot
    raise AssertionError("no digest time within three days")  # pragma: no cover


def pending_digest_days(
    now: dt.datetime,
    clock: dt.time,
    zone: ZoneInfo,
    grace: dt.timedelta,
    is_done: Callable[[dt.date], bool],
) -> list[dt.date]:
    """Days whose digest is due, not older than ``grace`` and not done yet, oldest first.

    A digest due while the daemon was down is caught up on restart if it is within the grace;
    an older one is given up (a digest about the day before yesterday helps nobody).
    """
    days = []
    slot = latest_slot(now, clock, zone)
    while now - slot.due_at <= grace:
        if not is_done(slot.day):
            days.append(slot.day)
        slot = latest_slot(slot.due_at - dt.timedelta(microseconds=1), clock, zone)
    return sorted(days)
