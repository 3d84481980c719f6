"""``borderwatch sources``: vet the configured sources, and clear a target's failure state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from borderwatch.cli.app import App, fail, main, pass_app

# Room for the time a child process needs to start and stop, beyond the crawl's own limits.
CHECK_GRACE = 30


@main.group()
def sources() -> None:
    """Check the configured sources, or clear their failure state."""


@sources.command()
@click.option(
    "--source",
    "keys",
    multiple=True,
    metavar="KEY",
    help="Check only this source (repeatable). Default: every configured source.",
)
@pass_app
def check(app: App, keys: tuple[str, ...]) -> None:
    """Fetch every target of each source once and print what it found, like a feed validator.

    Nothing is written to the database and no article page is fetched. Columns: the source,
    the target's kind, its status (HTTP status, or the error class), entries found, the age
    of the newest dated entry and the error or warning. The exit status is 1 when a target
    failed, so a script can vet config.yaml.
    """
    from borderwatch.collect import check_in_child
    from borderwatch.plan import plan_targets

    config = app.config
    unknown = [k for k in keys if config.source(k) is None]
    if unknown:
        fail(f"--source: no configured source named {', '.join(map(repr, unknown))}")
    chosen = [s for s in config.sources if not keys or s.key in keys]
    rows = [{"source": s.key, "url": f.url} for s in chosen for f in s.feeds]
    if not rows:
        click.echo("no sources configured")
        return
    plan = plan_targets(config, rows)
    limit = config.collect.crawl_time_limit + CHECK_GRACE
    report, timed_out, failed = check_in_child(config, plan, limit)
    outcomes = {(o["source"], o["url"]): o for o in report.get("outcomes", [])}
    now = datetime.now(UTC)
    table = [_row(target, outcomes.get((target["source"], target["url"])), now) for target in plan]
    _print_table(table)
    errors = sum(1 for row in table if row["status"] not in ("ok", "warning"))
    click.echo(
        f"{len(table)} targets checked: {len(table) - errors} answered, {errors} failed"
        + (" (stopped at the time limit)" if timed_out else "")
        + (" (the check process failed)" if failed else "")
    )
    if errors or failed:
        raise SystemExit(1)


@sources.command()
@click.argument("keys", nargs=-1, metavar="[KEY]...")
@pass_app
def reset(app: App, keys: tuple[str, ...]) -> None:
    """Clear the failure count and flag of the given sources' targets (default: all) so they
    are fetched at the next collection, e.g. after a feed marked gone has come back."""
    from borderwatch.collect import sync_configuration

    config = app.config
    unknown = [k for k in keys if config.source(k) is None]
    if unknown:
        fail(f"no configured source named {', '.join(map(repr, unknown))}")
    store = app.store
    sync_configuration(config, store)
    cleared = 0
    for row in store.feed_states().to_dict("records"):
        if keys and row["source"] not in keys:
            continue
        store.record_fetch(
            row["source"],
            row["url"],
            {"flagged": None, "consecutive_failures": 0, "next_fetch_at": None},
        )
        cleared += 1
    click.echo(f"{cleared} targets reset")


def _row(target: dict[str, Any], outcome: dict[str, Any] | None, now: datetime) -> dict[str, str]:
    row = {"source": target["source"], "kind": target["kind"], "url": target["url"]}
    if outcome is None:
        return {**row, "status": "no answer", "entries": "", "newest": "", "error": ""}
    status = outcome.get("last_status") or ""
    http = outcome.get("http_status")
    shown = status if http is None else f"{status} {http}"
    entries = outcome.get("entries_last")
    return {
        **row,
        "status": status,
        "shown_status": shown,
        "entries": "" if entries is None else str(entries),
        "newest": _age(outcome.get("newest_item_at"), now),
        "error": outcome.get("last_error") or "",
    }


def _age(value: str | None, now: datetime) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _print_table(rows: list[dict[str, str]]) -> None:
    columns = [
        ("source", "SOURCE"),
        ("kind", "KIND"),
        ("shown_status", "STATUS"),
        ("entries", "ENTRIES"),
        ("newest", "NEWEST"),
    ]
    values = [{k: row.get(k, row.get("status", "")) for k, _ in columns} for row in rows]
    widths = {k: max([len(title)] + [len(v[k]) for v in values]) for k, title in columns}
    click.echo("  ".join(title.ljust(widths[k]) for k, title in columns) + "  ERROR / URL")
    for row, shown in zip(rows, values, strict=True):
        cells = "  ".join(shown[k].ljust(widths[k]) for k, _ in columns)
        detail = row["error"][:120] if row["error"] else row["url"]
        click.echo(f"{cells}  {detail}")
