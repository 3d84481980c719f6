"""``borderwatch ingest FILE.jsonl``: process items from a file (backfills and imports)."""

from __future__ import annotations

from pathlib import Path

import click

from borderwatch.cli.app import App, main, pass_app


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def ingest(app: App, file: Path) -> None:
    """Process items from FILE, one JSON object per line (see docs/schema.md).

    A malformed line is reported with its line number and skipped; the other lines are still
    ingested. Running the same file twice adds nothing.
    """
    from borderwatch.collect import sync_configuration
    from borderwatch.ingest import process_staging, stage_file
    from borderwatch.plan import processing_rules
    from borderwatch.progress import Progress
    from crawler.staging import StagingArea

    config = app.config
    sync_configuration(config, app.store)
    staging = StagingArea(config.staging_path)
    report = stage_file(file, staging)
    for error in report.errors:
        click.echo(f"{file}: {error}; skipped", err=True)
    progress = Progress("ingest", total=staging.pending_items() or None)
    result = process_staging(staging, app.store, processing_rules(config), progress=progress)
    progress.finish(f"items, {result.new} new, {result.relevant} relevant")
    click.echo(
        f"{report.staged} items read, {len(report.errors)} bad lines skipped, "
        f"{result.new} new articles, {result.relevant} relevant"
    )
