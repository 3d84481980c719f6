"""Database URLs as users give them: checked before use, and shown without their password."""

from __future__ import annotations

import re

# What borderwatch runs on (docs/database.md): SQLite, and PostgreSQL through psycopg 3.
_BACKENDS = ("sqlite", "postgresql", "postgres")
_POSTGRES_DRIVERS = (None, "psycopg", "psycopg2")
_PASSWORD = re.compile(r"(://[^/:@]*):[^/@]*@")
EXPECTED = "expected sqlite:///PATH or postgresql://USER@HOST:PORT/NAME"


class DatabaseUrlError(ValueError):
    """A database URL borderwatch cannot use; the message is one line, without the password."""


def safe_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (also when the URL cannot be parsed)."""
    return _PASSWORD.sub(r"\1:***@", url)


def check_database_url(url: str) -> None:
    """Raise DatabaseUrlError unless ``url`` names a kind of database borderwatch supports."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(
            f"cannot read the database URL {safe_url(url)!r}: {EXPECTED}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        raise DatabaseUrlError(
            f"database URL {safe_url(url)!r}: borderwatch does not support {backend!r} "
            f"databases: {EXPECTED}"
        )
    driver = parsed.drivername.partition("+")[2] or None
    if backend != "sqlite" and driver not in _POSTGRES_DRIVERS:
        raise DatabaseUrlError(
            f"database URL {safe_url(url)!r}: the driver {driver!r} is not supported; "
            "write postgresql:// (psycopg 3 is used)"
        )
    if backend != "sqlite" and not parsed.database:
        raise DatabaseUrlError(f"database URL {safe_url(url)!r} names no database: {EXPECTED}")


def connection_problem(url: str, exc: BaseException) -> str:
    """One line saying why the database at ``url`` could not be opened."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    text = reason[0] if reason else type(exc).__name__
    return f"cannot open the database {safe_url(url)}: {text[:300]}"
