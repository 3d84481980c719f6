"""The ``digests`` table as a ledger that makes sending exactly-once per day and recipient.

States of a (day, recipient) row:

``sending``  claimed, with its Message-ID, *before* the first byte goes to the mail server. It
             stays so while retrying temporary failures (every attempt reuses the Message-ID).
``sent``     the server accepted the message (recorded right after its 250 reply).
``failed``   certainly not delivered: the server refused it, or every attempt failed before the
             message was handed over. The next run claims the row again and sends.
``written``  written to the outbox folder (recipient ``outbox``); not a mail.

A ``sending`` row found by a later run is ambiguous: the process died (or the connection broke
while the message was being handed over) somewhere between claiming and recording, so the
recipient may or may not have it. borderwatch never re-sends such a row by itself: a missed
digest is a nuisance, a duplicate every time the daemon restarts erodes trust in the whole
feed. It is reported as *unconfirmed*, and ``borderwatch digest --send --resend`` sends it again
(with the same Message-ID, so a client that already has it can tell it is the same message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.schema import digests
from pipeline.store import Store, utcnow

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
WRITTEN = "written"
OUTBOX_RECIPIENT = "outbox"


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a row: ``claimed`` means this process may send now."""

    claimed: bool
    message_id: str
    status: str  # the row's status before the claim (``new`` when there was none)
    sent_at: dt.datetime | None = None


def _insert(store: Store):
    return postgresql.insert(digests) if store.dialect == "postgresql" else sqlite.insert(digests)


def claim(
    store: Store, day: dt.date, recipient: str, message_id: str, *, resend: bool = False
) -> Claim:
    """Mark (day, recipient) ``sending`` unless it is already sent or in flight.

    Atomic across processes: the first claim is an insert that loses on the primary key, and
    taking over an existing row is an update conditioned on the status that was read.
    """
    now = utcnow()
    with store.transaction() as conn:
        inserted = conn.execute(
            _insert(store)
            .values(
                day=day, recipient=recipient, message_id=message_id, status=SENDING, created_at=now
            )
            .on_conflict_do_nothing(index_elements=["day", "recipient"])
            .returning(digests.c.message_id)
        ).first()
        if inserted is not None:
            return Claim(True, message_id, "new")
    with store.transaction() as conn:
        row = conn.execute(
            select(digests).where(digests.c.day == day, digests.c.recipient == recipient)
        ).one()
        takeover = row.status in (FAILED, WRITTEN) or resend
        if not takeover:
            return Claim(False, row.message_id, row.status, row.sent_at)
        changed = conn.execute(
            update(digests)
            .where(
                digests.c.day == day,
                digests.c.recipient == recipient,
                digests.c.status == row.status,
            )
            .values(status=SENDING, sent_at=None)
        )
        if changed.rowcount != 1:  # another process took it between our read and update
            return Claim(False, row.message_id, SENDING)
        return Claim(True, row.message_id, row.status)


def mark_sent(store: Store, day: dt.date, recipient: str, message_id: str) -> None:
    """Record that the server accepted the message."""
    _set(store, day, recipient, message_id, status=SENT, sent_at=utcnow())


def mark_failed(store: Store, day: dt.date, recipient: str, message_id: str) -> None:
    """Record that the message was certainly not delivered (the next run tries again)."""
    _set(store, day, recipient, message_id, status=FAILED)


def record_written(store: Store, day: dt.date, message_id: str) -> None:
    """Record a digest written to the outbox (rewritten files replace the row's times)."""
    now = utcnow()
    stmt = _insert(store).values(
        day=day,
        recipient=OUTBOX_RECIPIENT,
        message_id=message_id,
        status=WRITTEN,
        created_at=now,
        sent_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "recipient"],
        set_={"message_id": message_id, "status": WRITTEN, "sent_at": now},
    )
    with store.transaction() as conn:
        conn.execute(stmt)


def first_delivery(store: Store, day: dt.date) -> dt.datetime | None:
    """When the day's digest was first claimed or written for anyone (naive UTC), if ever."""
    with store.engine.connect() as conn:
        first = conn.execute(
            select(func.min(digests.c.created_at)).where(digests.c.day == day)
        ).scalar_one_or_none()
    if isinstance(first, str):  # SQLite returns an aggregate of times as text
        first = dt.datetime.fromisoformat(first)
    return first


def status(store: Store, day: dt.date, recipient: str) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(
            select(digests.c.status).where(digests.c.day == day, digests.c.recipient == recipient)
        ).scalar_one_or_none()


def _set(store: Store, day: dt.date, recipient: str, message_id: str, **values: object) -> None:
    with store.transaction() as conn:
        conn.execute(
            update(digests)
            .where(
                digests.c.day == day,
                digests.c.recipient == recipient,
                digests.c.message_id == message_id,
            )
            .values(**values)
        )
