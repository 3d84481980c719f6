"""The root command, its global options and the shared state commands receive."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import click

from borderwatch.config import Config, ConfigError, load_config

EXIT_USAGE = 2
# Permission bits masked from every file and folder a command creates.
PRIVATE_UMASK = 0o077


@dataclass
class App:
    """Lazily loaded configuration and store for the command being run."""

    config_path: str | None
    db_override: str | None
    _config: Config | None = None
    _store: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                fail(str(exc))
        return self._config

    @property
    def database_url(self) -> str:
        """The database URL to use, checked: one line and exit 2 when it cannot be used."""
        from borderwatch.database_url import DatabaseUrlError, check_database_url

        url = self.config.database_url(self.db_override)
        try:
            check_database_url(url)
        except DatabaseUrlError as exc:
            fail(str(exc))
        return url

    @property
    def store(self) -> Any:
        """The database (a pipeline.store.Store), opened on first use; a database that cannot
        be reached or created ends the command with one line."""
        if self._store is None:
            from sqlalchemy.exc import DBAPIError

            from borderwatch.database_url import connection_problem
            from pipeline.store import Store

            url = self.database_url
            try:
                self._store = Store(url)
            except (DBAPIError, OSError) as exc:
                fail(connection_problem(url, exc))
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def fail(message: str, status: int = EXIT_USAGE) -> None:
    """Print one error line and exit (status 2 for bad input, as documented)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Libraries' own chatter stays out of the user's way unless asked for.
    for name in (
        "scrapy",
        "apscheduler",
        "trafilatura",
        "htmldate",
        "charset_normalizer",
        "alembic",
    ):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


class _Main(click.Group):
    """The root group: a database on an old schema ends any command with one line."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import InterfaceError, OperationalError

        from pipeline.migrations import SchemaVersionError

        try:
            return super().invoke(ctx)
        except SchemaVersionError as exc:
            fail(str(exc))
        except (OperationalError, InterfaceError) as exc:
            # The database went away (or never answered) in the middle of a command.
            from borderwatch.database_url import connection_problem

            app = ctx.obj
            url = app.config.database_url(app.db_override) if isinstance(app, App) else ""
            fail(connection_problem(url, exc))
        except Exception as exc:
            if not _broker_unreachable(exc):
                raise
            from borderwatch.database_url import safe_url

            app = ctx.obj
            queue = app.config.queue if isinstance(app, App) else None
            where = f" {safe_url(queue.broker)}" if queue is not None else ""
            fail(f"cannot reach the queue broker{where}: {exc}")


def _broker_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` is the queue's Redis broker refusing or not answering. Told without
    importing redis, which only the commands that use the queue load (it costs 0.2 s)."""
    redis_errors = sys.modules.get("redis.exceptions")
    if redis_errors is None:
        return False
    return isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Configuration file (default: ./config.yaml, else $BORDERWATCH_CONFIG, "
    "else the packaged default).",
)
@click.option(
    "--db",
    "db_override",
    metavar="URL",
    help="Database URL, overriding config.yaml (also $BORDERWATCH_DATABASE_URL).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.version_option(package_name="borderwatch")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, db_override: str | None, verbose: bool):
    """Monitor news coverage of the Afghanistan–Pakistan border talks.

    Collects articles from feeds, sitemaps and sites, finds the stories and the relevant ones,
    keeps daily coverage tables, e-mails a daily digest and answers trend reports.
    """
    setup_logging(verbose)
    # What borderwatch creates (the data folder, the database and its WAL, staging, the outbox,
    # logs) is for its user alone: folders 0700, files 0600 (docs/database.md).
    previous_umask = os.umask(PRIVATE_UMASK)
    ctx.call_on_close(lambda: os.umask(previous_umask))
    app = App(config_path=config_path, db_override=db_override)
    ctx.obj = app
    ctx.call_on_close(app.close)


pass_app = click.make_pass_decorator(App)
