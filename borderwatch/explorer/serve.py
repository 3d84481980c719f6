"""Starting the explorer: checks that refuse to start, then uvicorn."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from borderwatch.config import Config
from borderwatch.explorer.app import create_app
from borderwatch.explorer.security import (
    AccessError,
    Credentials,
    check_bind,
    credentials_from,
    is_loopback,
)
from borderwatch.explorer.state import Explorer

log = logging.getLogger("borderwatch.explorer")


class ServeError(Exception):
    """The explorer cannot start as asked; the message is one line for the user."""


def safe_database_url(url: str) -> str:
    """The database URL as shown on the pages: no password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def open_read_only(url: str) -> Any:
    """A read-only store at ``url``, or ServeError with what to do."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from pipeline.migrations import SchemaVersionError
    from pipeline.store import Store

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ServeError("serve needs an SQLite database file, not an in-memory database")
        path = Path(parsed.database).expanduser()
        if not path.exists():
            raise ServeError(
                f"no database at {path}: run borderwatch collect (or borderwatch demo) first"
            )
    try:
        store = Store(url, read_only=True)
    except SchemaVersionError as exc:
        raise ServeError(str(exc)) from None
    except SQLAlchemyError as exc:
        first = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        raise ServeError(f"cannot read {safe_database_url(url)}: {first}") from None
    return store


def build(
    config: Config, url: str, *, host: str = "127.0.0.1", credentials: Credentials | None = None
) -> Any:
    """The checked ASGI application for ``url`` (ServeError when it must not start)."""
    try:
        credentials = credentials if credentials is not None else credentials_from()
        check_bind(host, credentials)
    except AccessError as exc:
        raise ServeError(str(exc)) from None
    store = open_read_only(url)
    explorer = Explorer(config, store, database=safe_database_url(url))
    return create_app(explorer, credentials=credentials, loopback=is_loopback(host))


def run(config: Config, url: str, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    import click
    import uvicorn

    application = build(config, url, host=host)
    explorer = application.app.state.explorer
    # The first ad-hoc query should not wait for every headline to be read and normalized.
    threading.Thread(target=_warm, args=(explorer,), name="headline-index", daemon=True).start()
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"borderwatch explorer on http://{shown}:{port}/ reading {safe_database_url(url)} "
        "(read-only; Ctrl-C stops it)",
        err=True,
    )
    uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False)


def _warm(explorer: Explorer) -> None:
    try:
        explorer.headlines.refresh(explorer.store)
    except Exception:  # the first query builds it then, or says why
        log.exception("reading the headlines for ad-hoc queries failed")
