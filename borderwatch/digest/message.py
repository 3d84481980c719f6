"""Assemble the digest e-mail: text first, then HTML with the chart attached by Content-ID.

Structure (what mail clients expect for an HTML mail with inline images)::

    multipart/alternative
    ├── text/plain
    └── multipart/related
        ├── text/html        <img src="cid:...">
        └── image/png        Content-ID: <...>
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from borderwatch.config import Config
from borderwatch.digest.compose import DigestContent
from borderwatch.digest.render import render_html, render_text, subject
from borderwatch.digest.trend_chart import trend_chart_png


@dataclass(frozen=True)
class RenderedDigest:
    """The bodies, rendered once and addressed per recipient."""

    subject: str
    text: str
    html: str  # refers to the chart by cid:
    html_standalone: str  # the chart inline as a data: URL, for the outbox and previews
    chart_png: bytes
    chart_cid: str  # without angle brackets


def sender_domain(config: Config) -> str:
    return config.email.sender.rpartition("@")[2] or "localhost"


def message_id(config: Config, day: dt.date, recipient: str) -> str:
    """A stable Message-ID per day and recipient: every attempt and resend carries the same."""
    digest = hashlib.sha256(f"{day.isoformat()}\0{recipient.lower()}".encode()).hexdigest()[:16]
    return f"<digest.{day.isoformat()}.{digest}@{sender_domain(config)}>"


def footer_lines(config: Config) -> list[str]:
    """How this digest is configured, so a reader knows what to ask the operator to change."""
    schedule, digest, email = config.schedule, config.digest, config.email
    if email.host:
        how = f"mailed through {email.host}:{email.port} ({email.security})"
    else:
        how = "written to the outbox folder (no SMTP host configured)"
    readers = len(digest.recipients)
    audience = (
        f"{readers} {'recipient' if readers == 1 else 'recipients'}"
        if readers
        else "no recipients configured yet"
    )
    empty = (
        "a short note is sent on days without coverage"
        if digest.empty_day == "note"
        else "days without coverage are skipped"
    )
    where = config.path.name if config.path else "config.yaml"
    return [
        f"borderwatch digest of the previous day, due daily at {schedule.digest_time} "
        f"{schedule.timezone}; {how}; {audience}.",
        f"Watching {len(config.sources)} sources for {len(config.tags)} tags "
        f"({', '.join(config.tags) or 'none'}); the {digest.top_stories} stories carried by the "
        f"most outlets are listed; {empty}. Sources are reported failing after "
        f"{digest.failing_after} failed fetches in a row, and silent after "
        f"{config.schedule.silence_factor:g} times their usual gap between articles without a "
        f"new one (at least {_duration(digest.silent_after)}).",
        f"Settings: digest, email, schedule and spikes in {where}.",
    ]


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days != 1 else "")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


def render_digest(config: Config, content: DigestContent) -> RenderedDigest:
    footer = footer_lines(config)
    rule = config.spikes.rule().describe()
    unsubscribe = config.email.unsubscribe_address
    png = trend_chart_png(content)
    cid = f"trend.{content.day.isoformat()}@{sender_domain(config)}"
    data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    html_args = {"spike_rule": rule, "unsubscribe": unsubscribe}
    return RenderedDigest(
        subject=subject(content),
        text=render_text(content, footer, spike_rule=rule, unsubscribe=unsubscribe),
        html=render_html(content, footer, chart_src=f"cid:{cid}", **html_args),
        html_standalone=render_html(content, footer, chart_src=data_url, **html_args),
        chart_png=png,
        chart_cid=cid,
    )


def build_message(
    config: Config,
    rendered: RenderedDigest,
    day: dt.date,
    recipient: str,
    *,
    now: dt.datetime | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = f"borderwatch <{config.email.sender}>"
    message["To"] = recipient
    message["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id(config, day, recipient)
    message["List-Id"] = f"borderwatch daily digest <digest.{sender_domain(config)}>"
    message["List-Unsubscribe"] = f"<{config.email.unsubscribe_address}>"
    # Keeps out-of-office replies from answering a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    html_part = message.get_payload()[1]
    html_part.add_related(
        rendered.chart_png,
        maintype="image",
        subtype="png",
        cid=f"<{rendered.chart_cid}>",
        filename="trend.png",
        disposition="inline",
    )
    return message
