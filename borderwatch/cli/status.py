"""``borderwatch status``: the daemon, the last run of each job, the next runs, source health."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from borderwatch.cli.app import App, main, pass_app


@main.command()
@pass_app
def status(app: App) -> None:
    """Show whether the daemon runs, each job's last run and next run, and source health."""
    from borderwatch.database_url import safe_url
    from borderwatch.lock import DAEMON, DatabaseLock
    from borderwatch.source_health import source_health
    from borderwatch.timing import next_slot
    from pipeline.store import utcnow

    config, store = app.config, app.store
    now = utcnow()
    running = DatabaseLock(app.database_url, DAEMON).is_held_elsewhere()
    click.echo(f"daemon: {'running' if running else 'not running'} ({safe_url(app.database_url)})")
    _staging_lines(config, store)
    if config.queue is not None:
        _queue_lines(config, store, now)

    last = store.last_runs()
    click.echo("\nlast runs (UTC):")
    rows = [
        [
            r["job"],
            _time(r["started_at"]),
            _time(r["finished_at"]),
            r["status"],
            _int(r["fetched"]),
            _int(r["new"]),
            _int(r["relevant"]),
            _first_line(r["errors"]),
        ]
        for r in last.to_dict("records")
    ]
    header = ["job", "started", "finished", "status", "fetched", "new", "relevant", "note"]
    _table(header, rows or [["(no runs yet)"] + [""] * 7])

    schedule = config.schedule
    interval = dt.timedelta(seconds=config.collect.interval)
    collect_runs = last[last["job"] == "collect"]
    if len(collect_runs):
        next_collect = max(collect_runs["started_at"].iloc[0].to_pydatetime() + interval, now)
        collect_when = _time(next_collect)
    else:
        collect_when = "at daemon start"
    slot = next_slot(now.replace(tzinfo=dt.UTC), schedule.digest_clock, schedule.zone)
    local = slot.due_at.astimezone(schedule.zone)
    health_every = dt.timedelta(seconds=schedule.health_interval)
    click.echo("\nnext runs:")
    _table(
        ["job", "when", "schedule"],
        [
            ["collect", collect_when, f"every {interval}"],
            [
                "digest",
                f"{local:%Y-%m-%d %H:%M} {schedule.timezone} ({slot.due_at:%H:%M} UTC)",
                f"daily, covering the day before ({slot.day})",
            ],
            ["health", "with the daemon", f"every {health_every}"],
        ],
    )

    health = source_health(
        store,
        now,
        failure_threshold=schedule.failure_threshold,
        silence_factor=schedule.silence_factor,
        silence_min=dt.timedelta(seconds=schedule.silence_min),
    )
    click.echo("\nsources:")
    _table(
        ["source", "status", "feeds", "failing", "last new (UTC)", "usual gap", "note"],
        [
            [
                r["source"],
                r["status"],
                str(r["feeds"]),
                str(r["failing_feeds"]),
                _time(r["last_new_at"]),
                _delta(r["usual_gap"]),
                r["reason"],
            ]
            for r in health.to_dict("records")
        ]
        or [["(no sources)"] + [""] * 6],
    )


def _table(header: list[str], rows: list[list[Any]]) -> None:
    from borderwatch.reports.output import terminal_text

    cells = [header] + [[terminal_text(str(c)) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _time(value: Any) -> str:
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "-"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def _delta(value: Any) -> str:
    import pandas as pd

    from borderwatch.source_health import human_duration

    if value is None or value is pd.NaT:
        return "-"
    return human_duration(pd.Timedelta(value))


def _int(value: Any) -> str:
    return "-" if value is None or value != value else str(int(value))


def _first_line(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    lines = value.strip().splitlines()
    text = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    return text[:80]


def _queue_lines(config: Any, store: Any, now: dt.datetime) -> None:
    """The crawl workers, the shards waiting on the queue and the targets under lease."""
    staged = store.staged_batch_list()
    click.echo(
        f"database staging: {len(staged)} batches waiting"
        + (f" ({sum(items for _b, items in staged):,} items)" if staged else "")
    )
    workers = store.workers()
    timeout = config.queue.worker_timeout
    click.echo(f"\nworkers ({len(workers)}):")
    rows = []
    for w in workers.to_dict("records"):
        age = (now - w["heartbeat_at"].to_pydatetime()).total_seconds()
        state = "alive" if age <= timeout else f"silent for {age:.0f}s"
        rows.append(
            [w["name"], state, _time(w["started_at"]), w["shard"] or "", str(w["shards_done"])]
        )
    header = ["worker", "state", "started", "crawling", "shards done"]
    _table(header, rows or [["(none)"] + [""] * 4])
    from borderwatch.work_queue import make_broker, queued_shards

    broker = make_broker(config.queue)
    try:
        waiting, out = queued_shards(broker)
    except Exception as exc:  # the broker may be down: say so, show the rest
        click.echo(f"\nqueue: the broker cannot be reached ({str(exc).splitlines()[0]})")
    else:
        names = ", ".join(m.shard for m in waiting[:10]) + (" ..." if len(waiting) > 10 else "")
        click.echo(
            f"\nqueue: {len(waiting)} shards waiting{': ' + names if waiting else ''}; "
            f"{out} with workers"
        )
    finally:
        broker.close()
    leases = store.leases()
    live = int((leases["lease_expires_at"] > now).sum()) if len(leases) else 0
    click.echo(f"leases: {live} live, {len(leases) - live} expired (due again)")
    for lease in leases.head(10).to_dict("records"):
        click.echo(
            f"  {lease['source']} {lease['url']}: {lease['lease_owner']}, "
            f"until {_time(lease['lease_expires_at'])}"
        )


def _staging_lines(config: Any, store: Any) -> None:
    """What waits in staging for this database, what belongs to others, what was set aside."""
    from borderwatch.ingest import staging_for
    from crawler.staging import StagingArea

    staging = staging_for(store, StagingArea(config.staging_path))
    batches = staging.batches()
    line = f"staging: {len(batches)} batches waiting"
    if batches:
        line += f" ({staging.pending_items():,} items)"
    foreign = staging.foreign()
    if foreign:
        line += f"; {len(foreign)} of other databases left alone (borderwatch staging list)"
    click.echo(line)
    set_aside = store.count("quarantine")
    if set_aside:
        click.echo(
            f"quarantine: {set_aside} items the database refused, set aside "
            "(borderwatch staging quarantine)"
        )
