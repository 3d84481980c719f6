"""``borderwatch collect``: crawl every due source once, then process what was collected."""

from __future__ import annotations

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@pass_app
def collect(app: App) -> None:
    """Crawl all due sources once, then process and store the new articles."""
    from borderwatch.collect import CollectBusy
    from borderwatch.collect import collect as run_collect

    try:
        report = run_collect(app.config, app.store, app.database_url)
    except CollectBusy as exc:
        fail(f"{exc}; try again when it has finished", status=1)
    click.echo(
        f"{report.targets} targets due, {report.fetched} responses, {report.staged} items staged, "
        f"{report.new} new articles, {report.relevant} relevant"
        + (" (crawl stopped at its time limit)" if report.timed_out else "")
    )
