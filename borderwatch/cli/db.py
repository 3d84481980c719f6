"""``borderwatch db``: schema migrations, coverage rebuilds, retention and database statistics."""

from __future__ import annotations

import datetime as dt

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.group()
def db() -> None:
    """Upgrade, inspect and maintain the database."""


def _engine(app: App):  # -> sqlalchemy.Engine
    """An engine without the revision check that opening a Store does."""
    from pipeline.engine import make_engine

    return make_engine(app.database_url)


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Migrate the database to the schema this borderwatch needs (safe to run again)."""
    from pipeline.migrations import upgrade as run_upgrade
    from pipeline.store import Store

    # Store() creates a new database's folder; an engine alone would not.
    if app.database_url.startswith("sqlite:///"):
        Store(app.database_url, create=False).close()
    engine = _engine(app)
    try:
        before, after = run_upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"database already at revision {after} (head)")
    else:
        click.echo(f"database upgraded from revision {before or 'none'} to {after}")


@db.command()
@pass_app
def current(app: App) -> None:
    """Show the database's schema revision and whether it is the newest."""
    from pathlib import Path

    from pipeline.migrations import describe, head_revision

    url = app.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        click.echo(f"no database yet; the first command creates it at revision {head_revision()}")
        return
    engine = _engine(app)
    try:
        click.echo(describe(engine))
    finally:
        engine.dispose()


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a day as YYYY-MM-DD, got {value!r}") from None


@db.command("rebuild-coverage")
@click.option("--since", metavar="DAY", callback=_day, help="Only days from DAY (YYYY-MM-DD) on.")
@pass_app
def rebuild_coverage(app: App, since: dt.date | None) -> None:
    """Recompute daily_coverage and daily_volume from the stored articles."""
    days = app.store.rebuild_coverage(since)
    click.echo(f"coverage rebuilt for {days} days" + (f" from {since}" if since else ""))


@db.command()
@pass_app
def prune(app: App) -> None:
    """Remove article texts older than text_retention_days (config.yaml) now."""
    from borderwatch.retention import prune_expired_text

    if not app.config.text_retention_days:
        fail("text_retention_days is not set in the configuration: nothing to prune")
    pruned = prune_expired_text(app.config, app.store)
    click.echo(
        f"removed the text of {pruned} articles collected more than "
        f"{app.config.text_retention_days} days ago"
    )


@db.command()
@click.option("--to", "target_url", required=True, metavar="URL", help="The new database.")
@pass_app
def copy(app: App, target_url: str) -> None:
    """Copy every row into a new, empty database at URL (e.g. SQLite to PostgreSQL).

    The batches staged for this database and not yet stored are handed to the new one, which
    stores them at its next ingest or collect: the copy is where work goes on.
    """
    from sqlalchemy.exc import DBAPIError

    from borderwatch.database_url import DatabaseUrlError, check_database_url, connection_problem
    from borderwatch.ingest import staging_for
    from crawler.staging import StagingArea
    from pipeline.store import Store
    from pipeline.transfer import TransferError, copy_database

    try:
        check_database_url(target_url)
    except DatabaseUrlError as exc:
        fail(f"--to: {exc}")
    source = app.store
    try:
        target = Store(target_url)
    except (DBAPIError, OSError) as exc:
        fail(f"--to: {connection_problem(target_url, exc)}")
    try:
        copied = copy_database(source, target)
        folder = StagingArea(app.config.staging_path)
        pending = staging_for(source, folder).batches()
        handed = staging_for(target, folder)
        for path in pending:
            handed.adopt(path)
    except TransferError as exc:
        fail(str(exc))
    finally:
        target.close()
    click.echo(
        f"copied {copied['articles']:,} articles and {sum(copied.values()):,} rows in all "
        "to the new database" + (f"; {len(pending)} staged batches handed to it" if pending else "")
    )


@db.command()
@pass_app
def stats(app: App) -> None:
    """Print row counts and sizes of the tables."""
    figures = app.store.stats()
    click.echo(f"{'table':<18} {'rows':>10} {'size':>10}")
    for row in figures["tables"]:
        click.echo(f"{row['table']:<18} {row['rows']:>10,} {_size(row['bytes']):>10}")
    text = figures["text"]
    click.echo(
        f"article text: {text['articles_with_text']:,} texts, {_size(text['text_bytes'])}; "
        f"{text['pruned']:,} pruned by retention"
    )
    click.echo(f"database ({figures['backend']}): {_size(figures['database_bytes'])}")


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
