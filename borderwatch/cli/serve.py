"""``borderwatch serve``: the coverage explorer in a web browser, read-only."""

from __future__ import annotations

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any address but loopback needs $BORDERWATCH_SERVE_TOKEN, or "
    "$BORDERWATCH_SERVE_USER and $BORDERWATCH_SERVE_PASSWORD.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@pass_app
def serve(app: App, host: str, port: int) -> None:
    """Open the coverage explorer: overview, explore (ad-hoc queries), stories and sources.

    Reads the configured database (SQLite or PostgreSQL) without ever writing to it, and
    serves everything the pages need itself: no script, nothing fetched from elsewhere. Each
    table has CSV and JSON downloads and the `borderwatch report` command that prints it.
    docs/explorer.md describes the pages and the safety model.
    """
    from borderwatch.explorer.serve import ServeError, run

    try:
        run(app.config, app.database_url, host=host, port=port)
    except ServeError as exc:
        fail(str(exc))
