"""Compose, render and deliver a day's digest: by SMTP when configured, else to the outbox.

Sending goes through the ``digests`` ledger (see ``borderwatch.digest.ledger``): each recipient
gets a day's digest at most once, whatever crashes or restarts happen in between.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.config import Config
from borderwatch.digest import ledger
from borderwatch.digest.compose import DigestContent, compose_digest
from borderwatch.digest.message import (
    RenderedDigest,
    build_message,
    message_id,
    render_digest,
)
from borderwatch.digest.smtp import (
    DeliveryError,
    UnconfirmedDelivery,
    send_message,
)
from pipeline.store import Store

log = logging.getLogger("borderwatch.digest")


class DigestError(Exception):
    """Some recipients did not get the digest; the message names them and why."""


@dataclass
class Delivery:
    """What happened for one recipient."""

    recipient: str
    status: str  # sent, already-sent, unconfirmed, in-flight, failed
    message_id: str
    detail: str = ""
    attempts: int = 0


@dataclass
class DigestOutcome:
    day: dt.date
    subject: str = ""
    skipped: bool = False  # an empty day with digest.empty_day: skip
    files: list[Path] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status in ("failed", "unconfirmed")]


def default_day(config: Config, now: dt.datetime | None = None) -> dt.date:
    """The day a scheduled digest covers: the local day that has just ended."""
    now = now or dt.datetime.now(dt.UTC)
    return (now.astimezone(config.schedule.zone) - dt.timedelta(days=1)).date()


def compose(config: Config, store: Store, day: dt.date, now: dt.datetime | None = None):
    """The content of ``day``'s digest as configured (tags, spike rule, source health)."""
    return compose_digest(
        store,
        day,
        config.schedule.timezone,
        list(config.tags),
        config.digest.top_stories,
        rule=config.spikes.rule(),
        now=now,
        silent_after=dt.timedelta(seconds=config.digest.silent_after),
        failing_after=config.digest.failing_after,
        silence_factor=config.schedule.silence_factor,
        digest_time=config.schedule.digest_clock,
    )


def write_outbox(
    config: Config, rendered: RenderedDigest, day: dt.date, now: dt.datetime | None = None
) -> list[Path]:
    """``digest-DAY.eml`` (the mail as it would be sent) and ``digest-DAY.html`` (standalone)."""
    outbox = config.outbox_path
    outbox.mkdir(parents=True, exist_ok=True)
    recipient = config.digest.recipients[0] if config.digest.recipients else "reader@localhost"
    message = build_message(config, rendered, day, recipient, now=now)
    eml = outbox / f"digest-{day.isoformat()}.eml"
    html = outbox / f"digest-{day.isoformat()}.html"
    _write_atomically(eml, bytes(message))
    _write_atomically(html, rendered.html_standalone.encode("utf-8"))
    return [eml, html]


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def preview_digest(
    config: Config, store: Store, day: dt.date, now: dt.datetime | None = None
) -> DigestOutcome:
    """Write the day's digest to the outbox without sending or recording anything."""
    content = compose(config, store, day, now)
    rendered = render_digest(config, content)
    return DigestOutcome(day, rendered.subject, files=write_outbox(config, rendered, day, now))


def send_digest(
    config: Config,
    store: Store,
    day: dt.date,
    recipients: list[str] | None = None,
    *,
    resend: bool = False,
    now: dt.datetime | None = None,
) -> DigestOutcome:
    """Mail the day's digest to each recipient that has not had it yet (see ``ledger``)."""
    if not config.email.host:
        raise DigestError("email.host is not set in the configuration: nothing to send through")
    recipients = list(dict.fromkeys(recipients or config.digest.recipients))
    if not recipients:
        raise DigestError("no recipients: set digest.recipients or pass --to")
    content = compose(config, store, day, now)
    outcome = DigestOutcome(day)
    if _skip_empty(config, content):
        outcome.skipped = True
        return outcome
    rendered = render_digest(config, content)
    outcome.subject = rendered.subject
    for recipient in recipients:
        outcome.deliveries.append(_send_one(config, store, rendered, day, recipient, resend, now))
    return outcome


def _send_one(
    config: Config,
    store: Store,
    rendered: RenderedDigest,
    day: dt.date,
    recipient: str,
    resend: bool,
    now: dt.datetime | None,
) -> Delivery:
    wanted_id = message_id(config, day, recipient)
    claim = ledger.claim(store, day, recipient, wanted_id, resend=resend)
    if not claim.claimed:
        if claim.status == ledger.SENT:
            return Delivery(recipient, "already-sent", claim.message_id, f"sent {claim.sent_at}")
        return Delivery(
            recipient,
            "unconfirmed",
            claim.message_id,
            "an earlier attempt was interrupted after it began sending; check the mailbox, "
            "then use --resend to send it again",
        )
    message = build_message(config, rendered, day, recipient, now=now)
    # A row taken over from an earlier run keeps the Message-ID it was first sent with.
    message.replace_header("Message-ID", claim.message_id)
    try:
        attempts = send_message(config.email, message, recipient)
    except UnconfirmedDelivery as exc:
        log.error("digest %s to %s: %s", day, recipient, exc)
        return Delivery(recipient, "unconfirmed", claim.message_id, str(exc))
    except DeliveryError as exc:
        ledger.mark_failed(store, day, recipient, claim.message_id)
        log.error("digest %s to %s failed: %s", day, recipient, exc)
        return Delivery(recipient, "failed", claim.message_id, str(exc))
    ledger.mark_sent(store, day, recipient, claim.message_id)
    return Delivery(recipient, "sent", claim.message_id, attempts=attempts)


def _skip_empty(config: Config, content: DigestContent) -> bool:
    return content.empty and not content.late and config.digest.empty_day == "skip"


def deliver(
    config: Config,
    store: Store,
    day: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
) -> DigestOutcome:
    """What the daily job does: mail when an SMTP host is set, else write to the outbox."""
    day = day or default_day(config, now)
    if config.email.host:
        return send_digest(config, store, day, now=now)
    content = compose(config, store, day, now)
    if _skip_empty(config, content):
        return DigestOutcome(day, skipped=True)
    rendered = render_digest(config, content)
    files = write_outbox(config, rendered, day, now)
    ledger.record_written(store, day, message_id(config, day, ledger.OUTBOX_RECIPIENT))
    return DigestOutcome(day, rendered.subject, files=files)


def deliver_digest(config: Config, store: Store, day: dt.date | None = None) -> list[Path]:
    """Deliver as configured; returns the outbox files written (none when mailing).

    Raises DigestError when a recipient did not get it, so the daily job records a failed run.
    """
    outcome = deliver(config, store, day)
    if outcome.failed:
        raise DigestError(
            "; ".join(f"{d.recipient}: {d.status}: {d.detail}" for d in outcome.failed)
        )
    return outcome.files
