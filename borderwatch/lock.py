"""Named locks held per database: one daemon per database, one collect at a time, one process
storing into a database at a time (``processing_lock``).

SQLite: an exclusive ``flock`` on a file next to the database (``<db>.<name>.lock``); the kernel
drops it when the holder dies, so a crash never leaves a stale lock. PostgreSQL: a session-level
advisory lock (``pg_try_advisory_lock``) held on a dedicated connection, keyed by the lock name
and the schema in use, and released when that connection closes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DAEMON = "daemon"
COLLECT = "collect"
PROCESS = "process"
# The one process that leases due targets and sends them to workers (`queue:` configured).
PLAN = "plan"
# Seconds between two attempts to take a lock that is held.
POLL_SECONDS = 0.2

# In-memory SQLite databases live in one process: a thread lock is all they need.
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class LockHeld(Exception):
    """The lock is held by someone else; the message says who, where it can be known."""


class DatabaseLock:
    """A non-blocking, process-wide lock named ``name`` for the database at ``url``."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self._fd: int | None = None
        self._pg: Any = None
        self._memory: threading.Lock | None = None

    # -- public ---------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the lock or raise LockHeld at once (never waits)."""
        if self.url.startswith("sqlite"):
            path = sqlite_path(self.url)
            if path is None:
                self._acquire_memory()
            else:
                self._acquire_file(Path(f"{path}.{self.name}.lock"))
        elif self.url.startswith("postgresql"):
            self._acquire_advisory()
        else:
            raise LockHeld(f"cannot lock a database of this kind: {self.url.split(':', 1)[0]}")

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._pg is not None:
            conn, engine = self._pg
            self._pg = None
            try:
                conn.close()  # closing the session releases its advisory locks
            finally:
                engine.dispose()
        if self._memory is not None:
            self._memory.release()
            self._memory = None

    def is_held_elsewhere(self) -> bool:
        """True when someone else holds the lock right now (probes without keeping it)."""
        try:
            self.acquire()
        except LockHeld:
            return True
        self.release()
        return False

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    # -- back ends ------------------------------------------------------------------------------
    def _acquire_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" by process {holder}" if holder.isdigit() else ""
            raise LockHeld(f"{self.name} lock {path} is held{who}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd

    def _acquire_memory(self) -> None:
        with _memory_guard:
            lock = _memory_locks.setdefault(self.name, threading.Lock())
        if not lock.acquire(blocking=False):
            raise LockHeld(f"{self.name} lock is held in this process")
        self._memory = lock

    def _acquire_advisory(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        url = self.url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        # A connection of its own, outside any pool: the lock lives exactly as long as it.
        engine = create_engine(url, poolclass=NullPool)
        conn = engine.connect()
        try:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            key = advisory_key(f"borderwatch:{self.name}:{schema}")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
            conn.commit()
        except BaseException:
            conn.close()
            engine.dispose()
            raise
        if not got:
            conn.close()
            engine.dispose()
            raise LockHeld(f"{self.name} advisory lock {key} is held on schema {schema}")
        self._pg = (conn, engine)


def advisory_key(label: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big", signed=True)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL, or None for an in-memory database."""
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest).expanduser().resolve()


@contextmanager
def processing_lock(
    url: str,
    *,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[DatabaseLock]:
    """Hold the database's processing lock: only its holder stores staged batches into it.

    Processing assigns new articles to the stories already stored, so two processes storing at
    once would each miss the other's articles (and collide on the story index); with this lock
    the outcome is that of one run after the other. ``wait``: wait for the holder to finish
    (``on_wait`` is told once, with who holds it), else raise LockHeld at once. Any process on
    any machine that reaches the database contends for the same lock (flock beside an SQLite
    file, a session advisory lock on PostgreSQL).
    """
    lock = DatabaseLock(url, PROCESS)
    told = False
    while True:
        try:
            lock.acquire()
            break
        except LockHeld as exc:
            if not wait:
                raise
            if not told and on_wait is not None:
                on_wait(str(exc))
            told = True
            time.sleep(POLL_SECONDS)
    try:
        yield lock
    finally:
        lock.release()
