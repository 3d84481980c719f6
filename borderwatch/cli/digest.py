"""``borderwatch digest``: preview, send or deliver a day's digest."""

from __future__ import annotations

import datetime as dt

import click

from borderwatch.cli.app import App, fail, main, pass_app

EXIT_FAILED = 1


def _parse_day(value: str, today: dt.date) -> dt.date:
    from borderwatch.day_range import check_day

    if value == "today":
        return today
    if value == "yesterday":
        return today - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected YYYY-MM-DD, today or yesterday, got {value!r}", param_hint="--date"
        ) from None
    try:
        return check_day(day)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--date") from None


@main.command()
@click.option(
    "--date",
    "day_text",
    metavar="DAY",
    help="The day to digest: YYYY-MM-DD, today or yesterday, in the configured time zone "
    "(default: yesterday).",
)
@click.option("--preview", "mode", flag_value="preview", help="Write the files; send nothing.")
@click.option("--send", "mode", flag_value="send", help="Mail it (needs email.host).")
@click.option(
    "--to",
    "recipients",
    multiple=True,
    metavar="ADDRESS",
    help="Send to this address instead of digest.recipients (repeatable).",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send even to recipients recorded as sent, or whose earlier send was interrupted.",
)
@pass_app
def digest(
    app: App, day_text: str | None, mode: str | None, recipients: tuple[str, ...], resend: bool
) -> None:
    """Compose the daily digest of one day and preview, send or deliver it.

    Without --preview or --send it is delivered as configured: mailed when email.host is set,
    else written to the outbox folder. --preview writes digest-DAY.eml and digest-DAY.html to
    the outbox and prints their paths. --send mails each recipient once: a recipient recorded
    as sent that day is skipped unless --resend is given.
    """
    from borderwatch.config import check_address
    from borderwatch.digest.deliver import (
        DigestError,
        default_day,
        deliver,
        preview_digest,
        send_digest,
    )

    config = app.config
    today = dt.datetime.now(config.schedule.zone).date()
    day = _parse_day(day_text, today) if day_text else default_day(config)
    for address in recipients:
        try:
            check_address(address)
        except ValueError as exc:
            fail(f"--to: {exc}")
    if mode is None and config.email.host:
        mode = "send"  # delivered as configured: mailed
    if (recipients or resend) and mode != "send":
        fail("--to and --resend apply to sending: use --send (and set email.host)")
    try:
        if mode == "preview":
            outcome = preview_digest(config, app.store, day)
        elif mode == "send":
            outcome = send_digest(config, app.store, day, list(recipients), resend=resend)
        else:
            outcome = deliver(config, app.store, day)
    except DigestError as exc:
        fail(str(exc))
    if outcome.skipped:
        click.echo(f"{day}: no new coverage; digest.empty_day is 'skip', so nothing was sent")
        return
    click.echo(outcome.subject)
    for path in outcome.files:
        click.echo(str(path))
    for delivery in outcome.deliveries:
        line = f"{delivery.recipient}: {delivery.status} {delivery.message_id}"
        if delivery.detail:
            line += f" ({delivery.detail})"
        click.echo(line, err=delivery.status in ("failed", "unconfirmed"))
    if outcome.failed:
        raise SystemExit(EXIT_FAILED)
