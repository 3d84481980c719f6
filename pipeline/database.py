"""The database behind one SQLAlchemy engine, and its bookkeeping rows: fetch targets and their
leases, batches staged in the database, crawl workers, runs and digests.

Nothing here needs pandas or numpy: the crawl process (borderwatch.crawl_child) and a worker
that only plans or crawls open the database through this class and do not pay for importing
them. ``pipeline.store.Store`` extends it with the articles, stories and coverage, which the
stages hand over as DataFrames.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pipeline import migrations
from pipeline.engine import make_engine
from pipeline.schema import (
    crawl_workers,
    database_info,
    digests,
    feed_state,
    ingested_batches,
    metadata,
    runs,
    staged_batches,
)

# How SQLAlchemy stores a DateTime in SQLite (its default storage format).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def utcnow() -> dt.datetime:
    """The current time as a naive UTC datetime, the form every table stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Database:
    """The borderwatch database behind one SQLAlchemy engine: connections, the schema check and
    the rows that are not articles (see the module's docstring)."""

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False) -> None:
        """Open the database at ``url``.

        A new, empty database is created at the newest schema revision. An existing one must be
        at that revision: otherwise ``SchemaVersionError`` (one line, telling the user to run
        ``borderwatch db upgrade``). ``create=False`` skips both, for a child process whose
        parent has opened the database already.

        ``read_only``: no connection can write (see ``make_engine``); the schema revision is
        still checked, and an empty database stays empty.
        """
        self.url = url
        self.read_only = read_only
        if url.startswith("sqlite:///") and not read_only:
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(
                parents=True, exist_ok=True
            )
        self.engine = make_engine(url, read_only=read_only)
        self._identity: str | None = None
        if create:
            try:
                self.create_schema()
            except Exception:
                self.engine.dispose()
                raise

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        """Create an empty database at the head revision, or check an existing one is at head."""
        migrations.prepare(self.engine, create=not self.read_only)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as c:
                yield c

    # -- dialect helpers ------------------------------------------------------------------------
    def _insert(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        return insert(table)

    # -- driver-level lookups ---------------------------------------------------------------------
    # The hot lookups of the store path compare a column with a few thousand values. Written as
    # SQLAlchemy ``in_()`` lists they cost more to compile and bind than the database spends on
    # them; here each is one plain statement with the whole list as one JSON array parameter
    # (encoded in C, where a bound list would be adapted value by value), read by ``json_each``
    # on SQLite and turned into an array for ``= ANY`` on PostgreSQL. Both plans look the values
    # up in the column's index one by one, so their cost follows the batch, not the database.
    @property
    def _mark(self) -> str:
        """The DB-API parameter mark of the back end."""
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    def _in_list(self, column: str, sql_type: str) -> str:
        """SQL that is true where ``column`` equals one of the values of one parameter.

        ``sql_type``: the column's PostgreSQL type. Pass the values through ``_list_param``.
        """
        if self.dialect == "sqlite":
            return f"{column} IN (SELECT value FROM json_each(?))"
        values = f"CAST(json_array_elements_text(CAST(%s AS json)) AS {sql_type})"
        return f"{column} = ANY(ARRAY(SELECT {values}))"

    @staticmethod
    def _list_param(values: Sequence[Any]) -> str:
        """``values`` (Python str or int) as the parameter that ``_in_list`` SQL expects."""
        return json.dumps(values if isinstance(values, list) else list(values), ensure_ascii=False)

    @staticmethod
    def _fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run ``sql`` on the DB-API cursor of ``conn`` (in its transaction) and return the rows
        as the driver's tuples: SQLAlchemy's row objects cost more than these lookups, and
        pandas probes them attribute by attribute when it builds a frame of them."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def stored_urls(self, urls: Iterable[str], conn: Connection | None = None) -> set[str]:
        """Those of ``urls`` that are stored, as an article's URL or its canonical URL."""
        wanted = list(dict.fromkeys(u for u in urls if u))
        if not wanted:
            return set()
        values = self._list_param(wanted)
        sql = (
            f"SELECT canonical_url FROM articles WHERE {self._in_list('canonical_url', 'text')} "
            f"UNION ALL SELECT url FROM articles WHERE {self._in_list('url', 'text')}"
        )
        with self._conn(conn) as c:
            return {row[0] for row in self._fetch(c, sql, (values, values))}

    # -- identity -------------------------------------------------------------------------------
    def identity(self) -> str:
        """This database's identity: a random id, written the first time it is asked for.

        It lives in the database (``database_info``), so every process and machine that reaches
        the database, under whatever URL, gets the same id, and a copy gets its own.
        """
        if self._identity is None:
            with self.transaction() as conn:
                stmt = self._insert(database_info).on_conflict_do_nothing(
                    index_elements=[database_info.c.name]
                )
                conn.execute(
                    stmt,
                    {"name": "identity", "value": uuid.uuid4().hex, "created_at": utcnow()},
                )
                self._identity = conn.execute(
                    select(database_info.c.value).where(database_info.c.name == "identity")
                ).scalar_one()
        return self._identity

    # -- batches staged in the database ---------------------------------------------------------
    def _batch_done(self, conn: Connection, batch_id: str, chunk: int) -> bool:
        row = conn.execute(
            select(ingested_batches.c.batch_id).where(
                ingested_batches.c.batch_id == batch_id, ingested_batches.c.chunk == chunk
            )
        ).first()
        return row is not None

    def batch_done(self, batch_id: str, chunk: int = 0) -> bool:
        with self.engine.connect() as conn:
            return self._batch_done(conn, batch_id, chunk)

    @staticmethod
    def _release_batch(conn: Connection, batch_id: str) -> None:
        conn.execute(delete(staged_batches).where(staged_batches.c.batch_id == batch_id))

    def publish_batch(self, batch_id: str, owner: str, items: int, body: bytes) -> None:
        """Stage a batch in the database: one committed INSERT (a repeat adds nothing)."""
        stmt = self._insert(staged_batches).on_conflict_do_nothing(
            index_elements=[staged_batches.c.batch_id]
        )
        with self.transaction() as conn:
            conn.execute(
                stmt,
                {
                    "batch_id": batch_id,
                    "owner": owner,
                    "items": items,
                    "body": body,
                    "published_at": utcnow(),
                },
            )

    def staged_batch_list(self) -> list[tuple[str, int]]:
        """(batch_id, items) of the batches staged in the database, oldest first."""
        query = select(staged_batches.c.batch_id, staged_batches.c["items"]).order_by(
            staged_batches.c.batch_id
        )
        with self.engine.connect() as conn:
            return [(r[0], int(r[1])) for r in conn.execute(query)]

    def staged_batch_body(self, batch_id: str) -> bytes | None:
        query = select(staged_batches.c.body).where(staged_batches.c.batch_id == batch_id)
        with self.engine.connect() as conn:
            body = conn.execute(query).scalar_one_or_none()
        return bytes(body) if body is not None else None

    def delete_staged_batch(self, batch_id: str) -> None:
        with self.transaction() as conn:
            self._release_batch(conn, batch_id)

    # -- crawl workers --------------------------------------------------------------------------
    def worker_heartbeat(
        self, name: str, host: str, pid: int, started_at: dt.datetime, shard: str | None
    ) -> None:
        """Insert or refresh a worker's row (its heartbeat and the shard it crawls)."""
        stmt = self._insert(crawl_workers)
        stmt = stmt.on_conflict_do_update(
            index_elements=[crawl_workers.c.name],
            set_={"heartbeat_at": stmt.excluded.heartbeat_at, "shard": stmt.excluded.shard},
        )
        with self.transaction() as conn:
            conn.execute(
                stmt,
                {
                    "name": name,
                    "host": host,
                    "pid": pid,
                    "started_at": started_at,
                    "heartbeat_at": utcnow(),
                    "shard": shard,
                    "shards_done": 0,
                },
            )

    def worker_finished_shard(self, name: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                update(crawl_workers)
                .where(crawl_workers.c.name == name)
                .values(shards_done=crawl_workers.c.shards_done + 1, shard=None)
            )

    def remove_worker(self, name: str) -> None:
        with self.transaction() as conn:
            conn.execute(delete(crawl_workers).where(crawl_workers.c.name == name))

    # -- feed state -----------------------------------------------------------------------------
    def sync_feeds(self, rows: Sequence[dict[str, Any]]) -> None:
        """Make sure every configured fetch target has a state row (source, url, kind)."""
        if not rows:
            return
        stmt = self._insert(feed_state)
        stmt = stmt.on_conflict_do_update(
            index_elements=[feed_state.c.source, feed_state.c.url],
            set_={"kind": stmt.excluded.kind},
        )
        with self.transaction() as conn:
            conn.execute(stmt, [{**r, "consecutive_failures": 0} for r in rows])

    def due_feeds(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Fetch targets whose next fetch time has come (or that were never fetched), leaving out
        those a worker holds a live lease on."""
        query = select(feed_state).where(_due(now))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def feed_state_rows(self, targets: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """The feed_state rows of these (source, url) targets that exist."""
        wanted = set(targets)
        sources_wanted = sorted({source for source, _url in wanted})
        if not sources_wanted:
            return []
        query = select(feed_state).where(feed_state.c.source.in_(sources_wanted))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return [row for row in rows if (row["source"], row["url"]) in wanted]

    def lease_due_feeds(
        self, now: dt.datetime, owner: str, seconds: int, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Lease the due targets to ``owner`` for ``seconds``, each with a token of its own, and
        return them (with ``lease_token``). On PostgreSQL the rows are taken with
        ``FOR UPDATE SKIP LOCKED``, so two planners never lease one target."""
        query = select(feed_state).where(_due(now)).order_by(feed_state.c.source, feed_state.c.url)
        if limit is not None:
            query = query.limit(limit)
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        expires = now + dt.timedelta(seconds=seconds)
        leased = []
        with self.transaction() as conn:
            for row in conn.execute(query).all():
                token = uuid.uuid4().hex
                conn.execute(
                    update(feed_state)
                    .where(feed_state.c.source == row.source, feed_state.c.url == row.url)
                    .values(lease_owner=owner, lease_token=token, lease_expires_at=expires)
                )
                leased.append(
                    {
                        **row._mapping,
                        "lease_owner": owner,
                        "lease_token": token,
                        "lease_expires_at": expires,
                    }
                )
        return leased

    def extend_leases(self, tokens: Sequence[str], until: dt.datetime) -> int:
        """Push the expiry of the leases with these tokens to ``until``; how many still held."""
        if not tokens:
            return 0
        with self.transaction() as conn:
            return conn.execute(
                update(feed_state)
                .where(feed_state.c.lease_token.in_(list(tokens)))
                .values(lease_expires_at=until)
            ).rowcount

    def release_leases(self, tokens: Sequence[str]) -> None:
        """End the leases with these tokens without an outcome: the targets are due again."""
        if not tokens:
            return
        with self.transaction() as conn:
            conn.execute(
                update(feed_state)
                .where(feed_state.c.lease_token.in_(list(tokens)))
                .values(lease_owner=None, lease_token=None, lease_expires_at=None)
            )

    def record_fetch(
        self,
        source: str,
        url: str,
        values: dict[str, Any],
        lease_token: str | None = None,
    ) -> bool:
        """Store what one fetch of a target learned (validators, status, next fetch time) and
        end its lease; returns whether it was written.

        With ``lease_token``, only while the target's lease still carries that token (a worker
        whose lease was taken over writes nothing). Without one, only while no live lease of a
        worker covers the target."""
        now = utcnow()
        where = [feed_state.c.source == source, feed_state.c.url == url]
        if lease_token is not None:
            where.append(feed_state.c.lease_token == lease_token)
        else:
            where.append(
                feed_state.c.lease_token.is_(None) | (feed_state.c.lease_expires_at <= now)
            )
        cleared = {"lease_owner": None, "lease_token": None, "lease_expires_at": None}
        with self.transaction() as conn:
            written = conn.execute(
                update(feed_state).where(*where).values(**values, **cleared)
            ).rowcount
        return bool(written)

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, job: str) -> int:
        with self.transaction() as conn:
            return conn.execute(
                insert(runs).returning(runs.c.id),
                {"job": job, "started_at": utcnow(), "status": "running"},
            ).scalar_one()

    def finish_run(self, run_id: int, status: str, **figures: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=utcnow(), status=status, **figures)
            )

    def close_stale_runs(self, note: str) -> int:
        """Mark runs left 'running' by a process that died as failed; returns how many."""
        with self.transaction() as conn:
            return conn.execute(
                update(runs)
                .where(runs.c.status == "running")
                .values(status="failed", finished_at=utcnow(), errors=note)
            ).rowcount

    def digest_done_recipients(self, day: dt.date) -> set[str]:
        """Recipients whose digest of ``day`` was sent or written to the outbox."""
        query = select(digests.c.recipient).where(
            digests.c.day == day, digests.c.status.in_(("sent", "written"))
        )
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(query)}

    def digest_run_done(self, day: dt.date) -> bool:
        """True when a digest run for ``day`` finished ok."""
        query = select(func.count()).where(
            runs.c.job == "digest", runs.c.day == day, runs.c.status == "ok"
        )
        with self.engine.connect() as conn:
            return bool(conn.execute(query).scalar_one())

    # -- counts ---------------------------------------------------------------------------------
    def count(self, table_name: str) -> int:
        table = metadata.tables[table_name]
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _due(now: dt.datetime) -> Any:
    """Targets due at ``now``: their next fetch time has come and no live lease covers them."""
    next_due = feed_state.c.next_fetch_at.is_(None) | (feed_state.c.next_fetch_at <= now)
    unleased = feed_state.c.lease_expires_at.is_(None) | (feed_state.c.lease_expires_at <= now)
    return next_due & unleased
