"""The SQLAlchemy engine of a borderwatch database, with the settings the project relies on.

Below both the store and the migrations, which each open databases with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine with the per-dialect settings the project relies on.

    SQLite: WAL (readers never wait for the writer), a 30 s busy timeout (a second writer waits
    instead of failing with "database is locked") and foreign keys on. PostgreSQL: psycopg 3,
    whatever the URL's driver prefix says (``postgresql://``, ``postgres://``).

    ``read_only``: every connection refuses to write. SQLite files are opened with the URI
    ``mode=ro`` (the file itself is never opened for writing) and ``query_only``; PostgreSQL
    sessions start with ``default_transaction_read_only``, so every transaction is read-only.
    """
    if url.startswith("sqlite"):
        if read_only:
            return _read_only_sqlite_engine(url)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            # WAL lets report readers run while the daemon writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # A 32 MB page cache (the default is 2 MB) keeps the story index and the article
            # indexes that every chunk inserts into in memory: it halves the cost of storing.
            cursor.execute("PRAGMA cache_size=-32768")
            cursor.close()

        return engine
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
            break
    engine = create_engine(url, pool_pre_ping=True)
    if read_only:

        @event.listens_for(engine, "connect")
        def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET default_transaction_read_only = on")
            cursor.close()
            # The setting outlives this transaction only once committed.
            dbapi_connection.commit()

    return engine


def _read_only_sqlite_engine(url: str) -> Engine:
    """An engine whose connections open the SQLite file read-only (``mode=ro``)."""
    import sqlite3
    from pathlib import Path
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("a read-only database needs an SQLite file, not an in-memory database")
    path = Path(database).expanduser().resolve()
    uri = f"file:{quote(str(path))}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("PRAGMA query_only=ON")
        connection.execute("PRAGMA cache_size=-32768")
        return connection

    # A pool of connections shared by threads (an engine of "sqlite://" would keep one per thread).
    return create_engine("sqlite://", creator=connect, poolclass=QueuePool)
