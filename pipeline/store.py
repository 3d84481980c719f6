"""All reading and writing of the database: the one place where the pipeline does I/O.

The stages hand over DataFrames; this module turns them into rows with idempotent inserts and
keeps the derived coverage tables in step, in the same transaction as the articles.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    LargeBinary,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipeline import coverage, migrations
from pipeline.band_window import BandWindow
from pipeline.engine import make_engine
from pipeline.schema import (
    article_tags,
    articles,
    crawl_workers,
    database_info,
    digests,
    feed_state,
    ingested_batches,
    metadata,
    quarantine,
    runs,
    sources,
    staged_batches,
    story_keys,
    story_signatures,
)
from pipeline.story_index import BAND_RULE, TITLE_RULE, RecentIndex

# How SQLAlchemy stores a DateTime in SQLite (its default storage format).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def utcnow() -> dt.datetime:
    """The current time as a naive UTC datetime, the form every table stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Store:
    """The borderwatch database behind one SQLAlchemy engine."""

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
        # The story window's band keys, kept between batches (see recent_story_index).
        self._band_window = BandWindow()
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

    # -- dialect helpers ------------------------------------------------------------------------
    def _insert(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        return insert(table)

    # -- sources --------------------------------------------------------------------------------
    def sync_sources(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or update configured sources (key, name, country, language, domain)."""
        if not rows:
            return
        now = utcnow()
        values = [{**row, "origin": "config", "created_at": now} for row in rows]
        stmt = self._insert(sources)
        stmt = stmt.on_conflict_do_update(
            index_elements=[sources.c.key],
            set_={
                "name": stmt.excluded.name,
                "country": stmt.excluded.country,
                "language": stmt.excluded.language,
                "domain": stmt.excluded.domain,
                "origin": "config",
            },
        )
        with self.transaction() as conn:
            conn.execute(stmt, values)

    def source_table(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(sources), conn)

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

    # -- articles -------------------------------------------------------------------------------
    def article_by_url(self, *urls: str) -> dict[str, Any] | None:
        """The stored article whose URL or canonical URL is one of ``urls`` (its columns, and
        ``tags``: its tag names), or None."""
        wanted = [u for u in urls if u]
        if not wanted:
            return None
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(articles)
                    .where(articles.c.canonical_url.in_(wanted) | articles.c.url.in_(wanted))
                    .order_by(articles.c.id)
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            tags = conn.execute(
                select(article_tags.c.tag)
                .where(article_tags.c.article_id == row["id"])
                .order_by(article_tags.c.tag)
            ).scalars()
            return {**row, "tags": list(tags)}

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

    def recent_story_index(
        self,
        title_keys: Sequence[int],
        band_keys: Sequence[int] | np.ndarray,
        conn: Connection | None = None,
    ) -> RecentIndex:
        """The stored story keys equal to the batch's keys, and the signatures of their articles.

        Title keys are looked up in story_keys' index. Band keys are compared with the bands of
        every article in story_signatures, which holds only the story window, so the cost
        follows the window's volume, not the size of the database; the window is kept in memory
        between batches (``pipeline.band_window``). Keys come in the order key, article_id (the
        order in which ``assign_stories`` meets them).
        """
        wanted = list(map(int, title_keys))
        titles: list[tuple[Any, ...]] = []
        signatures: list[tuple[Any, ...]] = []
        with self._conn(conn) as c:
            if wanted:
                titles = self._fetch(
                    c,
                    "SELECT key, rule, article_id, story_id, day FROM story_keys "
                    f"WHERE {self._in_list('key', 'bigint')}",
                    (self._list_param(wanted),),
                )
            bands = self._current_band_window(c).matches(np.asarray(band_keys, dtype=np.int64))
            band_ids = sorted(set(bands["article_id"].tolist()))
            if band_ids:
                signatures = self._fetch(
                    c,
                    "SELECT article_id, signature FROM story_signatures "
                    f"WHERE {self._in_list('article_id', 'integer')} ORDER BY article_id",
                    (self._list_param(band_ids),),
                )
        if self.dialect == "sqlite":
            # SQLite hands back the ISO text that SQLAlchemy's Date type would have parsed.
            titles = [(*row[:4], dt.date.fromisoformat(row[4])) for row in titles]
        # Title rows and band matches as one frame; every column but the day holds integers.
        names = ["key", "rule", "article_id", "story_id", "day"]
        bands["rule"] = np.full(len(bands["key"]), BAND_RULE, dtype=np.int64)
        title_columns = list(zip(*titles, strict=True)) or [()] * len(names)
        keys = pd.DataFrame(
            {
                name: np.concatenate(
                    [np.array(values, dtype=object if name == "day" else np.int64), bands[name]]
                )
                for name, values in zip(names, title_columns, strict=True)
            }
        )
        order = np.lexsort((keys["article_id"].to_numpy(), keys["key"].to_numpy()))
        return RecentIndex(
            keys=keys.iloc[order].reset_index(drop=True),
            signatures=pd.DataFrame(signatures, columns=["article_id", "signature"]),
        )

    def _current_band_window(self, conn: Connection) -> BandWindow:
        """The in-memory band window, brought up to date with story_signatures."""
        window = self._band_window
        columns = "SELECT article_id, story_id, day, bands FROM story_signatures"
        window.add(
            self._fetch(
                conn,
                f"{columns} WHERE article_id > {self._mark} ORDER BY article_id",
                (window.newest_id,),
            )
        )
        count, id_sum = self._fetch(
            conn, "SELECT count(*), coalesce(sum(article_id), 0) FROM story_signatures"
        )[0]
        if not window.agrees_with(int(count), int(id_sum)):
            window.replace(self._fetch(conn, columns))
        return window

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as c:
                yield c

    def save_articles(
        self,
        frame: pd.DataFrame,
        *,
        batch_id: str | None = None,
        chunk: int = 0,
        index_days: int | None = None,
        release_batch: bool = False,
    ) -> dict[str, int]:
        """Store processed articles, their tags and stories, and recompute coverage; atomically.

        ``frame`` comes out of the stages: one row per new article with the article columns,
        ``tags`` (a list of tag names), ``story_id`` (an existing story, or missing),
        ``story_key`` (a batch-local label for articles that start a new story) and, when
        fingerprinted, ``signature``, ``shingles``, ``bands`` and ``title_hash`` for the
        story index. Rows whose canonical URL is already stored are skipped, so a repeated
        batch adds nothing. ``index_days``: how many days of the story index to keep.
        """
        with self.transaction() as conn:
            if batch_id is not None and self._batch_done(conn, batch_id, chunk):
                return {"new": 0, "relevant": 0, "skipped": len(frame)}
            stored = self.stored_urls(frame["canonical_url"], conn) if len(frame) else set()
            fresh = frame[~frame["canonical_url"].isin(stored)] if len(frame) else frame
            new_sources = _discovered_sources(fresh)
            if new_sources:
                stmt = self._insert(sources).on_conflict_do_nothing(index_elements=[sources.c.key])
                conn.execute(stmt, new_sources)
            if len(fresh):
                fresh, leads = self._create_stories(conn, fresh)
                ids = self._insert_articles(conn, fresh)
                self._insert_tags(conn, fresh, ids)
                self._index_stories(conn, fresh, ids, index_days)
                self._finish_stories(conn, fresh, ids, leads)
                coverage.recompute_pairs(conn, set(zip(fresh["day"], fresh["source"], strict=True)))
            if batch_id is not None:
                conn.execute(
                    insert(ingested_batches),
                    {
                        "batch_id": batch_id,
                        "chunk": chunk,
                        "items": len(frame),
                        "ingested_at": utcnow(),
                    },
                )
                if release_batch:
                    self._release_batch(conn, batch_id)
        return {
            "new": len(fresh),
            "relevant": int(fresh["relevant"].sum()) if len(fresh) else 0,
            "skipped": len(frame) - len(fresh),
        }

    # -- identity and quarantine ----------------------------------------------------------------
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

    def set_aside(
        self,
        batch_id: str,
        chunk: int,
        items: int,
        refused: Sequence[tuple[int, str, str]],
        *,
        release_batch: bool = False,
    ) -> None:
        """Record items a back end refused, (line, item as JSON, error) each, in ``quarantine``
        and mark the chunk stored, in one transaction (the rest of the chunk is stored);
        ``release_batch`` as for ``save_articles``."""
        now = utcnow()
        with self.transaction() as conn:
            if refused:
                stmt = self._insert(quarantine).on_conflict_do_nothing(
                    index_elements=[quarantine.c.batch_id, quarantine.c.line]
                )
                conn.execute(
                    stmt,
                    [
                        {
                            "batch_id": batch_id,
                            "line": line,
                            "item": item,
                            "error": error,
                            "quarantined_at": now,
                        }
                        for line, item, error in refused
                    ],
                )
            if not self._batch_done(conn, batch_id, chunk):
                conn.execute(
                    insert(ingested_batches),
                    {"batch_id": batch_id, "chunk": chunk, "items": items, "ingested_at": now},
                )
            if release_batch:
                self._release_batch(conn, batch_id)

    def quarantined(self, limit: int | None = None) -> pd.DataFrame:
        """The items set aside, oldest first: batch_id, line, error, quarantined_at, item."""
        query = select(quarantine).order_by(quarantine.c.quarantined_at, quarantine.c.batch_id)
        query = query.order_by(quarantine.c.line)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def clear_quarantine(self) -> int:
        """Forget every item set aside; the number forgotten."""
        with self.engine.begin() as conn:
            return conn.execute(delete(quarantine)).rowcount

    def _batch_done(self, conn: Connection, batch_id: str, chunk: int) -> bool:
        row = conn.execute(
            select(ingested_batches.c.batch_id).where(
                ingested_batches.c.batch_id == batch_id, ingested_batches.c.chunk == chunk
            )
        ).first()
        return row is not None

    @staticmethod
    def _release_batch(conn: Connection, batch_id: str) -> None:
        conn.execute(delete(staged_batches).where(staged_batches.c.batch_id == batch_id))

    # -- batches staged in the database ---------------------------------------------------------
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

    def workers(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(crawl_workers).order_by(crawl_workers.c.name), conn)

    def batch_done(self, batch_id: str, chunk: int = 0) -> bool:
        with self.engine.connect() as conn:
            return self._batch_done(conn, batch_id, chunk)

    def _create_stories(
        self, conn: Connection, frame: pd.DataFrame
    ) -> tuple[pd.DataFrame, dict[int, str]]:
        """One stories row per batch-local label, created with its counts in one statement.

        Returns the frame with every ``story_id`` set, and the new stories' lead articles
        (story id -> canonical URL of the label's first article).
        """
        # Plain Python over the rows: a chunk's labels are many small groups, for which pandas'
        # groupby costs more than the work.
        story_ids = frame["story_id"].astype(object).where(frame["story_id"].notna(), None)
        story_ids = story_ids.tolist()
        new_rows = [i for i, story in enumerate(story_ids) if story is None]
        leads: dict[int, str] = {}
        if new_rows:
            labels = (
                frame["story_key"].tolist() if "story_key" in frame.columns else [None] * len(frame)
            )
            # A label's lead is the article that started it, else its first row.
            if "story_lead" in frame.columns:
                started = frame["story_lead"].to_numpy(dtype=bool)
                ordered = [i for i in new_rows if started[i]]
                ordered += [i for i in new_rows if not started[i]]
            else:
                ordered = new_rows
            first: dict[Any, int] = {}
            for i in ordered:
                first.setdefault(labels[i], i)
            sources = frame["source"].tolist()
            relevant = frame["relevant"].tolist()
            # Python datetimes (None for a missing time) in one conversion: comparing and
            # converting pandas Timestamps one by one costs more than the rest of this loop.
            collected = frame["collected_at"].to_numpy(dtype="datetime64[us]").tolist()
            groups: dict[Any, list[Any]] = {label: [0, set(), False, None] for label in first}
            for i in new_rows:
                group = groups[labels[i]]
                group[0] += 1
                if not _missing(sources[i]):
                    group[1].add(sources[i])
                group[2] = group[2] or bool(relevant[i])
                seen = collected[i]
                if not _missing(seen) and (group[3] is None or seen < group[3]):
                    group[3] = seen
            days, titles = frame["day"].tolist(), frame["title"].tolist()
            rows = []
            for label, i in first.items():
                n_articles, outlets, any_relevant, seen = groups[label]
                title = None if _missing(titles[i]) else str(titles[i])
                rows.append(
                    (_python_datetime(seen), days[i], title, n_articles, len(outlets), any_relevant)
                )
            created = self._insert_stories(conn, rows)
            by_label = dict(zip(first, created, strict=True))
            for i in new_rows:
                story_ids[i] = by_label[labels[i]]
            urls = frame["canonical_url"].tolist()
            leads = {story: urls[i] for story, i in zip(created, first.values(), strict=True)}
        frame = frame.assign(story_id=np.array(story_ids, dtype="int64"))
        return frame, leads

    def _insert_stories(self, conn: Connection, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert stories and return their new ids in the order of ``rows``.

        ``rows``: (first_seen_at, day, title, articles, outlets, relevant); updated now.
        """
        columns = ["first_seen_at", "day", "title", "articles", "outlets", "relevant", "updated_at"]
        now = _sqlite_datetime(utcnow())
        values = [
            (
                _sqlite_datetime(first_seen_at),
                day.isoformat(),
                title,
                n_articles,
                n_outlets,
                self._bool(relevant),
                now,
            )
            for first_seen_at, day, title, n_articles, n_outlets, relevant in rows
        ]
        if self.dialect == "postgresql":
            # The ids a multi-row insert would have drawn, in order; then one COPY.
            drawn = conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('stories', 'id')) "
                "FROM generate_series(1, %s)",
                (len(rows),),
            ).fetchall()
            story_ids = sorted(row[0] for row in drawn)
            self._copy(
                conn,
                "stories",
                ["id", *columns],
                ((story_id, *row) for story_id, row in zip(story_ids, values, strict=True)),
            )
            return story_ids
        # Plain DB-API executemany with the values as SQLAlchemy stores them (SQLAlchemy would
        # insert row by row to keep the order of the ids). SQLite has one writer at a time and
        # numbers new rows max(id) + 1, ... within this transaction, so after one executemany
        # the new rows are exactly the highest ids, in order.
        conn.exec_driver_sql(
            f"INSERT INTO stories ({', '.join(columns)}) VALUES (?, ?, ?, ?, ?, ?, ?)", values
        )
        newest = conn.exec_driver_sql(
            "SELECT id FROM stories ORDER BY id DESC LIMIT ?", (len(rows),)
        ).fetchall()
        return sorted(row[0] for row in newest)

    def _insert_articles(self, conn: Connection, frame: pd.DataFrame) -> dict[str, int]:
        """Insert the frame's articles (a stored canonical URL is skipped); URL -> new id.

        The values are converted column by column to the text SQLAlchemy would store on SQLite
        (which PostgreSQL reads as the same values): SQLAlchemy's per-row parameter processing
        cost more than the database's work.
        """
        columns = [c.name for c in articles.columns if c.name != "id" and c.name in frame.columns]
        values = [_column_values(frame[name], articles.c[name].type) for name in columns]
        names = ", ".join(columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in columns)
            inserted = conn.exec_driver_sql(
                f"INSERT INTO articles ({names}) VALUES ({marks}) "
                "ON CONFLICT (canonical_url) DO NOTHING",
                list(zip(*values, strict=True)),
            ).rowcount
            if inserted != len(frame):
                return self._article_ids(conn, frame["canonical_url"])
            # Every row was inserted: as with stories (``_insert_stories``), the new rows are
            # the highest ids, in the frame's order; no need to look each URL up.
            newest = conn.exec_driver_sql(
                "SELECT id FROM articles ORDER BY id DESC LIMIT ?", (inserted,)
            ).fetchall()
            ids = sorted(row[0] for row in newest)
            return dict(zip(frame["canonical_url"].tolist(), ids, strict=True))
        # PostgreSQL: COPY into a scratch table, then one INSERT ... SELECT in the frame's order
        # (ids are numbered in that order, as a multi-row VALUES insert numbered them).
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE new_articles AS SELECT 0 AS row_order, {names} "
            "FROM articles WITH NO DATA"
        )
        self._copy(
            conn,
            "new_articles",
            ["row_order", *columns],
            zip(range(len(frame)), *values, strict=True),
        )
        rows = self._fetch(
            conn,
            f"INSERT INTO articles ({names}) SELECT {names} FROM new_articles "
            "ORDER BY row_order ON CONFLICT (canonical_url) DO NOTHING "
            "RETURNING canonical_url, id",
        )
        conn.exec_driver_sql("DROP TABLE new_articles")
        return dict(rows)

    def _copy(
        self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """PostgreSQL: append ``rows`` to ``table`` with COPY, in the connection's transaction.

        COPY costs a fraction of the client CPU of an executemany of the same rows.
        """
        driver = conn.connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _article_ids(self, conn: Connection, urls: Iterable[str]) -> dict[str, int]:
        """Canonical URL -> id of the stored articles among ``urls``."""
        wanted = list(urls)
        if not wanted:
            return {}
        rows = self._fetch(
            conn,
            "SELECT canonical_url, id FROM articles "
            f"WHERE {self._in_list('canonical_url', 'text')}",
            (self._list_param(wanted),),
        )
        return dict(rows)

    def _insert_tags(self, conn: Connection, frame: pd.DataFrame, ids: dict[str, int]) -> None:
        if "tags" not in frame.columns:
            return
        rows = [
            (ids[url], tag)
            for url, tags in zip(frame["canonical_url"], frame["tags"], strict=True)
            if url in ids
            for tag in (tags or ())
        ]
        if not rows:
            return
        if self.dialect == "postgresql":
            # One statement instead of one per row.
            conn.exec_driver_sql(
                "INSERT INTO article_tags (article_id, tag) "
                "SELECT CAST(pair ->> 0 AS integer), pair ->> 1 "
                "FROM json_array_elements(CAST(%s AS json)) AS pair ON CONFLICT DO NOTHING",
                (json.dumps(rows, ensure_ascii=False),),
            )
        else:
            conn.exec_driver_sql(
                "INSERT INTO article_tags (article_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
                rows,
            )

    def _index_stories(
        self,
        conn: Connection,
        frame: pd.DataFrame,
        ids: dict[str, int],
        index_days: int | None,
    ) -> None:
        """Add the new articles' keys and signatures to the story index; drop expired ones."""
        if "bands" not in frame.columns:
            return
        key_rows, signature_rows = _story_index_rows(frame, ids)
        key_columns = ["key", "rule", "article_id", "story_id", "day"]
        signature_columns = ["article_id", "story_id", "day", "shingles", "signature", "bands"]
        if self.dialect == "postgresql":
            self._copy(conn, "story_keys", key_columns, key_rows)
            self._copy(conn, "story_signatures", signature_columns, signature_rows)
        else:
            # Plain DB-API executemany: SQLAlchemy's per-row parameter processing would cost
            # more than SQLite's work.
            for table, columns, rows in (
                ("story_keys", key_columns, key_rows),
                ("story_signatures", signature_columns, signature_rows),
            ):
                if rows:
                    marks = ", ".join(self._mark for _ in columns)
                    conn.exec_driver_sql(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                    )
        if index_days is not None and len(frame):
            # Keys older than the window before the batch's newest day can match nothing new.
            cutoff = max(frame["day"]) - dt.timedelta(days=index_days + 1)
            conn.execute(delete(story_keys).where(story_keys.c.day < cutoff))
            conn.execute(delete(story_signatures).where(story_signatures.c.day < cutoff))
            # Should the transaction not commit, the window's check against the table finds
            # the difference and reads the window again.
            self._band_window.forget_before(cutoff)

    def _finish_stories(
        self,
        conn: Connection,
        frame: pd.DataFrame,
        ids: dict[str, int],
        leads: dict[int, str],
    ) -> None:
        """Set new stories' lead articles; recount the existing stories the batch joined."""
        mark = self._mark
        lead_rows = [(ids[url], story_id) for story_id, url in leads.items() if url in ids]
        if lead_rows:
            if self.dialect == "postgresql":
                # One statement instead of one per row.
                conn.exec_driver_sql(
                    "UPDATE stories SET lead_article_id = CAST(pair ->> 0 AS integer) "
                    "FROM json_array_elements(CAST(%s AS json)) AS pair "
                    "WHERE stories.id = CAST(pair ->> 1 AS integer)",
                    (json.dumps(lead_rows),),
                )
            else:
                conn.exec_driver_sql(
                    f"UPDATE stories SET lead_article_id = {mark} WHERE id = {mark}", lead_rows
                )
        joined = sorted(set(frame["story_id"].tolist()) - set(leads))
        if not joined:
            return
        counts = self._fetch(
            conn,
            "SELECT story_id, count(*), count(DISTINCT source), max(CAST(relevant AS INTEGER)) "
            f"FROM articles WHERE {self._in_list('story_id', 'integer')} GROUP BY story_id",
            (self._list_param(joined),),
        )
        if not counts:
            return
        now = utcnow()
        if self.dialect == "sqlite":
            now = _sqlite_datetime(now)
        rows = [
            (n_articles, n_outlets, self._bool(any_relevant), now, story_id)
            for story_id, n_articles, n_outlets, any_relevant in counts
        ]
        conn.exec_driver_sql(
            f"UPDATE stories SET articles = {mark}, outlets = {mark}, relevant = {mark}, "
            f"updated_at = {mark} WHERE id = {mark}",
            rows,
        )

    def _bool(self, value: Any) -> bool | int:
        """A truth value as a DB-API parameter: SQLite stores Booleans as 0/1."""
        return int(bool(value)) if self.dialect == "sqlite" else bool(value)

    # -- coverage -------------------------------------------------------------------------------
    def rebuild_coverage(self, since: dt.date | None = None) -> int:
        """Recompute daily_coverage and daily_volume from articles; returns the days rebuilt."""
        with self.transaction() as conn:
            return coverage.rebuild(conn, since)

    # -- retention and size ---------------------------------------------------------------------
    def prune_text(self, collected_before: dt.datetime, *, batch: int = 2000) -> int:
        """Remove the full text of articles collected before the cut; returns how many.

        Metadata, tags, stories and coverage stay. Works in short transactions so the writer
        and readers are never held up for long.
        """
        pruned = 0
        while True:
            with self.transaction() as conn:
                ids = [
                    r[0]
                    for r in conn.execute(
                        select(articles.c.id)
                        .where(
                            articles.c.collected_at < collected_before, articles.c.text.is_not(None)
                        )
                        .limit(batch)
                    )
                ]
                if not ids:
                    return pruned
                conn.execute(
                    update(articles)
                    .where(articles.c.id.in_(ids))
                    .values(text=None, text_pruned_at=utcnow())
                )
            pruned += len(ids)

    def stats(self) -> dict[str, Any]:
        """Row counts and sizes: {"tables": [{"table", "rows", "bytes"}], "database_bytes",
        "text": {"articles_with_text", "text_bytes", "pruned"}}. Sizes include indexes; None
        where the back end cannot tell."""
        sizes = self._table_sizes()
        with self.engine.connect() as conn:
            tables = [
                {
                    "table": name,
                    "rows": conn.execute(select(func.count()).select_from(table)).scalar_one(),
                    "bytes": sizes.get(name),
                }
                for name, table in sorted(metadata.tables.items())
            ]
            text_length = (
                func.octet_length(articles.c.text)
                if self.dialect == "postgresql"
                else func.length(articles.c.text.cast(LargeBinary))
            )
            with_text, text_bytes, pruned = conn.execute(
                select(
                    func.count(articles.c.text),
                    func.coalesce(func.sum(text_length), 0),
                    func.count(articles.c.text_pruned_at),
                )
            ).one()
        return {
            "backend": self.dialect,
            "tables": tables,
            "database_bytes": self._database_bytes(),
            "text": {
                "articles_with_text": with_text,
                "text_bytes": int(text_bytes),
                "pruned": pruned,
            },
        }

    def _table_sizes(self) -> dict[str, int]:
        """Bytes per table, its indexes included."""
        names = list(metadata.tables)
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                return {
                    name: conn.execute(
                        text("SELECT pg_total_relation_size(CAST(:name AS regclass))"),
                        {"name": name},
                    ).scalar_one()
                    for name in names
                }
            if self.dialect == "sqlite":
                try:
                    rows = conn.execute(
                        text(
                            "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat AS d "
                            "JOIN sqlite_master AS m ON m.name = d.name GROUP BY m.tbl_name"
                        )
                    ).all()
                except Exception:  # an SQLite built without the dbstat table
                    return {}
                return {name: int(size) for name, size in rows if name in names}
        return {}

    def _database_bytes(self) -> int | None:
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                return conn.execute(
                    text("SELECT pg_database_size(current_database())")
                ).scalar_one()
            if self.dialect == "sqlite":
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
                return int(pages) * int(page_size)
        return None

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

    def feed_states(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(feed_state), conn)

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

    def leases(self) -> pd.DataFrame:
        """Targets under lease: source, url, lease_owner, lease_expires_at."""
        query = (
            select(
                feed_state.c.source,
                feed_state.c.url,
                feed_state.c.lease_owner,
                feed_state.c.lease_expires_at,
            )
            .where(feed_state.c.lease_token.is_not(None))
            .order_by(feed_state.c.lease_expires_at)
        )
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

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

    def last_runs(self) -> pd.DataFrame:
        """The latest run of every job."""
        latest = select(runs.c.job, func.max(runs.c.id).label("id")).group_by(runs.c.job)
        latest = latest.subquery()
        query = select(runs).join(latest, runs.c.id == latest.c.id).order_by(runs.c.job)
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

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

    # -- reading for outputs --------------------------------------------------------------------
    def read_sql(self, query: Any, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self.engine.connect() as conn:
            if isinstance(query, str):
                query = text(query)
            return pd.read_sql(query, conn, params=params)

    def count(self, table_name: str) -> int:
        table = metadata.tables[table_name]
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _due(now: dt.datetime) -> Any:
    """Targets due at ``now``: their next fetch time has come and no live lease covers them."""
    next_due = feed_state.c.next_fetch_at.is_(None) | (feed_state.c.next_fetch_at <= now)
    unleased = feed_state.c.lease_expires_at.is_(None) | (feed_state.c.lease_expires_at <= now)
    return next_due & unleased


def _discovered_sources(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Source rows for outlets the stages derived from item data (origin 'discovered')."""
    if not len(frame) or "source_name" not in frame.columns:
        return []
    now = utcnow()
    found = frame[frame["source_name"].notna()].drop_duplicates("source")
    # The country the attribution stage read from the domain (nation.com.pk: PK), when it did.
    countries = (
        found["source_country"] if "source_country" in found.columns else [None] * len(found)
    )
    return [
        {
            "key": str(key),
            "name": str(name),
            "country": None if country is None or pd.isna(country) else str(country),
            "language": None,
            "origin": "discovered",
            "domain": None if pd.isna(domain) else str(domain),
            "created_at": now,
        }
        for key, name, domain, country in zip(
            found["source"], found["source_name"], found["source_domain"], countries, strict=True
        )
    ]


def _story_index_rows(
    frame: pd.DataFrame, ids: dict[str, int]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The story_keys rows (key, rule, article_id, story_id, day) and story_signatures rows
    (article_id, story_id, day, shingles, signature, bands) of the stored articles of ``frame``.

    Days are ISO text, which both back ends store as the date (SQLite as that text).
    """
    article_ids = [ids.get(url) for url in frame["canonical_url"].tolist()]
    story_ids = frame["story_id"].tolist()
    days = [None if _missing(d) else d.isoformat() for d in frame["day"].tolist()]
    key_rows = [
        (int(title_hash), TITLE_RULE, article_id, story_id, day)
        for article_id, story_id, day, title_hash in zip(
            article_ids, story_ids, days, frame["title_hash"].tolist(), strict=True
        )
        if article_id is not None and not _missing(title_hash)
    ]
    signature_rows = [
        (article_id, story_id, day, size, signature, bands)
        for article_id, story_id, day, size, signature, bands in zip(
            article_ids,
            story_ids,
            days,
            frame["shingles"].tolist(),
            frame["signature"].tolist(),
            frame["bands"].tolist(),
            strict=True,
        )
        if article_id is not None and bands is not None and size
    ]
    return key_rows, signature_rows


def _column_values(column: pd.Series, kind: Any) -> list[Any]:
    """A column's values as SQLAlchemy stores them in SQLite: datetimes as ``SQLITE_DATETIME``
    text, dates as ISO text, booleans as 0/1, missing values as None. PostgreSQL reads the same
    text as the same values."""
    kind = type(kind).__name__
    if kind == "DateTime":
        # ISO text with microseconds, as SQLITE_DATETIME formats it, from numpy in one pass.
        moments = pd.to_datetime(column)
        if moments.dt.tz is not None:
            moments = moments.dt.tz_localize(None)  # the wall time, as strftime printed it
        text_values = np.datetime_as_string(moments.to_numpy(dtype="datetime64[us]"), unit="us")
        return [
            None if value == "NaT" else value.replace("T", " ", 1) for value in text_values.tolist()
        ]
    if kind == "Date":
        return [None if _missing(d) else d.isoformat() for d in column.tolist()]
    if kind in ("Boolean", "Integer"):
        return [None if _missing(v) else int(v) for v in column.tolist()]
    return column.astype(object).where(column.notna(), None).tolist()


def _missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA: a missing value of any dtype."""
    return value is None or value is pd.NA or value is pd.NaT or value != value


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """A naive datetime as SQLAlchemy's DateTime stores it in SQLite (``SQLITE_DATETIME``)."""
    return None if value is None else value.isoformat(sep=" ", timespec="microseconds")


def _python_datetime(value: Any) -> dt.datetime:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    return value
