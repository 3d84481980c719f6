"""``borderwatch browse``: open the database in Datasette, with canned report queries."""

from __future__ import annotations

from pathlib import Path

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (the default keeps it on this machine).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on.",
)
@pass_app
def browse(app: App, host: str, port: int) -> None:
    """Browse the database in Datasette, with canned queries for the main reports.

    Needs the optional extra: pip install 'borderwatch[browse]'. Datasette reads SQLite files
    only; for a PostgreSQL database use the SQL in docs/schema.md with psql.
    """
    from sqlalchemy.engine import make_url

    url = make_url(app.database_url)
    if url.get_backend_name() != "sqlite":
        fail(
            f"Datasette reads SQLite databases only, and {url.render_as_string(hide_password=True)}"
            " is PostgreSQL: query it with psql and the example queries of docs/schema.md, or "
            "run borderwatch report"
        )
    if not url.database or url.database == ":memory:":
        fail("browse needs an SQLite database file, not an in-memory database")
    path = Path(url.database)
    if not path.exists():
        fail(f"no database at {path}: run borderwatch collect (or borderwatch demo) first")
    try:
        import uvicorn
        from datasette.app import Datasette
    except ImportError:
        fail("Datasette is not installed: pip install 'borderwatch[browse]'")

    from borderwatch.browse.canned import metadata

    app.store  # opening the store brings the schema, views included, up to date  # noqa: B018
    app.close()
    datasette = Datasette(
        [str(path)],
        metadata=metadata(path.stem),
        settings={"sql_time_limit_ms": 5000},
    )
    if not _loopback(host):
        click.echo(
            f"warning: listening on {host}: anyone who can reach port {port} of this machine "
            "reads the whole database, without a password (Datasette has no authentication "
            "here); the default, 127.0.0.1, keeps it on this machine",
            err=True,
        )
    click.echo(f"Datasette on http://{host}:{port}/{path.stem} (Ctrl-C stops it)", err=True)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


def _loopback(host: str) -> bool:
    """True when ``host`` is reachable from this machine only."""
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any address
