"""Build the digest message and deliver it: to the outbox folder (no SMTP host configured)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from borderwatch.config import Config
from borderwatch.digest.compose import DigestContent, compose_digest
from borderwatch.digest.render import render_html, render_text, subject
from pipeline.store import Store


def default_day(config: Config, now: dt.datetime | None = None) -> dt.date:
    """The day a scheduled digest covers: the local day that has just ended."""
    now = now or dt.datetime.now(dt.UTC)
    return (now.astimezone(config.schedule.zone) - dt.timedelta(days=1)).date()


def footer(config: Config) -> str:
    where = f"SMTP {config.email.host}" if config.email.host else "the outbox folder"
    return (
        f"Sent by borderwatch daily at {config.schedule.digest_time} {config.schedule.timezone} "
        f"to {where}; {len(config.sources)} sources, tags: {', '.join(config.tags) or 'none'}."
    )


def build_message(config: Config, content: DigestContent, recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject(content)
    message["From"] = config.email.sender
    message["To"] = recipient
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain="borderwatch.local")
    text = render_text(content, footer(config))
    message.set_content(text)
    message.add_alternative(render_html(content, footer(config)), subtype="html")
    return message


def deliver_digest(config: Config, store: Store, day: dt.date | None = None) -> list[Path]:
    """Write the digest of ``day`` to the outbox as .eml and .html; returns the paths."""
    day = day or default_day(config)
    content = compose_digest(
        store, day, config.schedule.timezone, list(config.tags), config.digest.top_stories
    )
    if content.empty and config.digest.empty_day == "skip":
        return []
    outbox = config.outbox_path
    outbox.mkdir(parents=True, exist_ok=True)
    recipient = config.digest.recipients[0] if config.digest.recipients else "reader@localhost"
    message = build_message(config, content, recipient)
    eml = outbox / f"digest-{day.isoformat()}.eml"
    html = outbox / f"digest-{day.isoformat()}.html"
    eml.write_bytes(bytes(message))
    html.write_text(render_html(content, footer(config)), encoding="utf-8")
    return [eml, html]
