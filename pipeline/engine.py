"""The SQLAlchemy engine of a borderwatch database, with the settings the project relies on.

Below both the store and the migrations, which each open databases with it.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

#: How long an SQLite connection waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30.0


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
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            # WAL lets report readers run while the daemon writes.
            _switch_to_wal(cursor)
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


def _switch_to_wal(cursor: sqlite3.Cursor, timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    """Put the database in WAL mode, waiting out other connections as a write would.

    WAL is a property of the file, so this only changes anything the first time a file is
    opened. That first switch needs the file to itself, and SQLite answers "database is
    locked" at once instead of calling the busy handler: two processes opening a new database
    together (two ``ingest`` runs, a worker beside the daemon) would fail. So the switch is
    retried, with growing pauses, until the busy timeout has passed.
    """
    deadline = time.monotonic() + timeout_s
    pause = 0.002
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def _read_only_sqlite_engine(url: str) -> Engine:
    """An engine whose connections open the SQLite file read-only (``mode=ro``)."""
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
