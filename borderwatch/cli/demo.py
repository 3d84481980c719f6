"""``borderwatch demo``: run everything offline against the bundled sample site."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for everything the demo writes: new, empty or an earlier demo's "
    "(default: a new temporary folder).",
)
@pass_app
def demo(app: App, workdir: Path | None) -> None:
    """Collect from a bundled sample news site on a loopback port, then digest and report.

    Fully offline: serves about 40 articles from several outlets on 127.0.0.1, collects and
    processes them, writes the daily digest to the outbox and prints a coverage table.
    """
    from borderwatch.demo.walkthrough import DemoFolderError, run_demo

    if app.db_override:
        click.echo(
            "note: the demo keeps its own SQLite database in its folder; --db is not used",
            err=True,
        )
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="borderwatch-demo-"))
    try:
        result = run_demo(workdir)
    except DemoFolderError as exc:
        fail(f"--workdir {exc}")
    report = result.report
    click.echo(
        f"Collected {report.new} new articles ({report.relevant} relevant) "
        f"from {report.targets} feeds.\n"
    )
    click.echo("Coverage by day (relevant articles, all and per tag; collected = all articles):")
    click.echo(result.coverage.to_string(index=False))
    click.echo("")
    click.echo(f"Database:  {result.database_path}")
    click.echo(f"Config:    {result.config_path}")
    for path in result.digest_files:
        click.echo(f"Digest:    {path}")
    click.echo(f"\nExplore it in a browser: borderwatch --config {result.config_path} serve")
    click.echo(f"Collect again:           borderwatch --config {result.config_path} collect")
