"""All reading and writing of the database: the one place where the pipeline does I/O.

The stages hand over DataFrames; this module turns them into rows with idempotent inserts and
keeps the derived coverage tables in step, in the same transaction as the articles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipeline import coverage
from pipeline.schema import (
    article_tags,
    articles,
    digests,
    feed_state,
    ingested_batches,
    metadata,
    runs,
    sources,
    stories,
)

# Rows per statement for IN lists and bulk inserts: well under SQLite's variable limit.
CHUNK = 900


def utcnow() -> dt.datetime:
    """The current time as a naive UTC datetime, the form every table stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    """An engine with the per-dialect settings the project relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets report readers run while the daemon writes; the busy timeout makes a
            # second writer wait instead of failing with "database is locked".
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


class Store:
    """The borderwatch database behind one SQLAlchemy engine."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(
                parents=True, exist_ok=True
            )
        self.engine = make_engine(url)
        if create:
            self.create_schema()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

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

    # -- articles -------------------------------------------------------------------------------
    def stored_urls(self, urls: Iterable[str], conn: Connection | None = None) -> set[str]:
        """Those of ``urls`` that are stored, as an article's URL or its canonical URL."""
        wanted = list(dict.fromkeys(u for u in urls if u))
        found: set[str] = set()
        if not wanted:
            return found
        with self._conn(conn) as c:
            for part in _chunks(wanted, CHUNK):
                rows = c.execute(
                    select(articles.c.canonical_url).where(articles.c.canonical_url.in_(part))
                )
                found.update(r[0] for r in rows)
                rows = c.execute(select(articles.c.url).where(articles.c.url.in_(part)))
                found.update(r[0] for r in rows)
        return found

    def recent_title_keys(
        self, source_keys: Iterable[str], since: dt.datetime, conn: Connection | None = None
    ) -> pd.DataFrame:
        """(source, title_key, story_id) of articles collected since ``since``."""
        keys = list(set(source_keys))
        frames = []
        with self._conn(conn) as c:
            for part in _chunks(keys, CHUNK):
                query = select(articles.c.source, articles.c.title_key, articles.c.story_id).where(
                    articles.c.source.in_(part),
                    articles.c.collected_at >= since,
                    articles.c.title_key.is_not(None),
                )
                frames.append(pd.read_sql(query, c))
        if not frames:
            return pd.DataFrame(columns=["source", "title_key", "story_id"])
        return pd.concat(frames, ignore_index=True)

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
    ) -> dict[str, int]:
        """Store processed articles, their tags and stories, and recompute coverage; atomically.

        ``frame`` comes out of the stages: one row per new article with the article columns,
        ``tags`` (a list of tag names), ``story_id`` (an existing story, or missing) and
        ``story_key`` (a batch-local cluster label for articles that start a new story).
        Rows whose canonical URL is already stored are skipped, so a repeated batch adds nothing.
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
                fresh = self._create_stories(conn, fresh)
                ids = self._insert_articles(conn, fresh)
                self._insert_tags(conn, fresh, ids)
                self._refresh_stories(conn, set(fresh["story_id"].astype(int)))
                coverage.recompute_days(conn, set(fresh["day"]))
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
        return {
            "new": len(fresh),
            "relevant": int(fresh["relevant"].sum()) if len(fresh) else 0,
            "skipped": len(frame) - len(fresh),
        }

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

    def _create_stories(self, conn: Connection, frame: pd.DataFrame) -> pd.DataFrame:
        """Give every batch-local cluster without an existing story a new stories row."""
        frame = frame.copy()
        needs = frame["story_id"].isna()
        if needs.any():
            now = utcnow()
            for _key, group in frame[needs].groupby("story_key", sort=False):
                lead = group.sort_values("published_at", na_position="last").iloc[0]
                story_id = conn.execute(
                    insert(stories).returning(stories.c.id),
                    {
                        "first_seen_at": now,
                        "day": lead["day"],
                        "title": lead["title"],
                        "articles": 0,
                        "outlets": 0,
                        "relevant": bool(group["relevant"].any()),
                        "updated_at": now,
                    },
                ).scalar_one()
                frame.loc[group.index, "story_id"] = story_id
        frame["story_id"] = frame["story_id"].astype(int)
        return frame

    def _insert_articles(self, conn: Connection, frame: pd.DataFrame) -> dict[str, int]:
        columns = [c.name for c in articles.columns if c.name != "id" and c.name in frame.columns]
        records = _records(frame[columns])
        stmt = self._insert(articles).on_conflict_do_nothing(index_elements=["canonical_url"])
        for part in _chunks(records, CHUNK):
            conn.execute(stmt, part)
        ids: dict[str, int] = {}
        for part in _chunks(list(frame["canonical_url"]), CHUNK):
            rows = conn.execute(
                select(articles.c.canonical_url, articles.c.id).where(
                    articles.c.canonical_url.in_(part)
                )
            )
            ids.update({r[0]: r[1] for r in rows})
        return ids

    def _insert_tags(self, conn: Connection, frame: pd.DataFrame, ids: dict[str, int]) -> None:
        if "tags" not in frame.columns:
            return
        rows = [
            {"article_id": ids[url], "tag": tag}
            for url, tags in zip(frame["canonical_url"], frame["tags"], strict=True)
            for tag in (tags or ())
        ]
        if rows:
            stmt = self._insert(article_tags).on_conflict_do_nothing()
            for part in _chunks(rows, CHUNK):
                conn.execute(stmt, part)

    def _refresh_stories(self, conn: Connection, story_ids: set[int]) -> None:
        """Recount articles and outlets of the given stories and pick their lead article."""
        ids = sorted(story_ids)
        for part in _chunks(ids, CHUNK):
            counts = conn.execute(
                select(
                    articles.c.story_id,
                    func.count(),
                    func.count(articles.c.source.distinct()),
                    func.max(articles.c.relevant.cast(Integer)),
                )
                .where(articles.c.story_id.in_(part))
                .group_by(articles.c.story_id)
            ).all()
            leads = dict(
                conn.execute(
                    select(articles.c.story_id, func.min(articles.c.id))
                    .where(articles.c.story_id.in_(part))
                    .group_by(articles.c.story_id)
                ).all()
            )
            now = utcnow()
            for story_id, n_articles, n_outlets, any_relevant in counts:
                conn.execute(
                    update(stories)
                    .where(stories.c.id == story_id)
                    .values(
                        articles=n_articles,
                        outlets=n_outlets,
                        relevant=bool(any_relevant),
                        lead_article_id=leads.get(story_id),
                        updated_at=now,
                    )
                )

    # -- coverage -------------------------------------------------------------------------------
    def rebuild_coverage(self, since: dt.date | None = None) -> int:
        """Recompute daily_coverage and daily_volume from articles; returns the days rebuilt."""
        with self.transaction() as conn:
            return coverage.rebuild(conn, since)

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
        """Fetch targets whose next fetch time has come (or that were never fetched)."""
        query = select(feed_state).where(
            (feed_state.c.next_fetch_at.is_(None)) | (feed_state.c.next_fetch_at <= now)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def record_fetch(self, source: str, url: str, values: dict[str, Any]) -> None:
        """Store what one fetch of a target learned (validators, status, next fetch time)."""
        with self.transaction() as conn:
            conn.execute(
                update(feed_state)
                .where(feed_state.c.source == source, feed_state.c.url == url)
                .values(**values)
            )

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

    def forget_validators(self, targets: Iterable[tuple[str, str]]) -> None:
        """Make targets due now and fetched in full, as if never fetched: after an interrupted
        crawl, articles listed by a feed it had already read may not have been fetched yet."""
        reset = {"etag": None, "last_modified": None, "body_hash": None, "next_fetch_at": None}
        with self.transaction() as conn:
            for source, url in targets:
                conn.execute(
                    update(feed_state)
                    .where(feed_state.c.source == source, feed_state.c.url == url)
                    .values(**reset)
                )

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


def _discovered_sources(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Source rows for outlets the stages derived from item data (origin 'discovered')."""
    if not len(frame) or "source_name" not in frame.columns:
        return []
    now = utcnow()
    found = frame[frame["source_name"].notna()].drop_duplicates("source")
    return [
        {
            "key": str(key),
            "name": str(name),
            "country": None,
            "language": None,
            "origin": "discovered",
            "domain": None if pd.isna(domain) else str(domain),
            "created_at": now,
        }
        for key, name, domain in zip(
            found["source"], found["source_name"], found["source_domain"], strict=True
        )
    ]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with NaN/NaT turned into None and numpy scalars into Python ones."""
    clean = frame.astype(object).where(frame.notna(), None)
    records = clean.to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, pd.Timestamp):
                record[key] = value.to_pydatetime().replace(tzinfo=None)
            elif hasattr(value, "item") and not isinstance(value, str | bytes):
                record[key] = value.item()
    return records


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
