"""``borderwatch ingest FILE.jsonl``: process items from a file (backfills and imports)."""

from __future__ import annotations

from pathlib import Path

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--no-wait",
    is_flag=True,
    help="Stop at once, instead of waiting, when another process is storing into the database.",
)
@pass_app
def ingest(app: App, file: Path, no_wait: bool) -> None:
    """Process items from FILE, one JSON object per line (see docs/schema.md).

    A malformed line is reported with its line number and skipped; the other lines are still
    ingested. A value that had to be cut or dropped (an overlong title, a date that cannot be
    right) is reported with its line number; the item is kept. Running the same file twice
    adds nothing. While another ingest or collect stores into the same database, this one
    waits for it (or, with --no-wait, stops with one line; the file is then staged and stored
    by the next run).
    """
    from borderwatch.collect import sync_configuration
    from borderwatch.ingest import process_staging, stage_file, staging_for
    from borderwatch.lock import LockHeld
    from borderwatch.plan import processing_rules
    from borderwatch.progress import Progress
    from crawler.staging import StagingArea

    config = app.config
    sync_configuration(config, app.store)
    staging = staging_for(app.store, StagingArea(config.staging_path))
    try:
        report = stage_file(file, staging)
    except OSError as exc:
        fail(f"{file}: cannot read it: {exc.strerror}")
    for error in report.errors:
        click.echo(f"{file}: {error}; skipped", err=True)
    for note in report.notes:
        click.echo(f"{file}: {note}; item kept", err=True)
    progress = Progress("ingest", total=staging.pending_items() or None)
    try:
        result = process_staging(
            staging, app.store, processing_rules(config), progress=progress, wait=not no_wait
        )
    except LockHeld as exc:
        fail(f"another process is storing into this database ({exc}); {file} is staged")
    progress.finish(f"items, {result.new} new, {result.relevant} relevant")
    set_aside = f", {result.quarantined} set aside (borderwatch staging quarantine)"
    click.echo(
        f"{report.staged} items read, {len(report.errors)} bad lines skipped, "
        f"{result.new} new articles, {result.relevant} relevant"
        + (set_aside if result.quarantined else "")
    )
