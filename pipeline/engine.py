"""The SQLAlchemy engine of a borderwatch database, with the settings the project relies on.

Below both the store and the migrations, which each open databases with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def make_engine(url: str) -> Engine:
    """An engine with the per-dialect settings the project relies on.

    SQLite: WAL (readers never wait for the writer), a 30 s busy timeout (a second writer waits
    instead of failing with "database is locked") and foreign keys on. PostgreSQL: psycopg 3,
    whatever the URL's driver prefix says (``postgresql://``, ``postgres://``).
    """
    if url.startswith("sqlite"):
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
    return create_engine(url, pool_pre_ping=True)
