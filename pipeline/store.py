"""All reading and writing of the database: the one place where the pipeline does I/O.

The stages hand over DataFrames; this module turns them into rows with idempotent inserts and
keeps the derived coverage tables in step, in the same transaction as the articles.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
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

from pipeline import coverage
from pipeline.band_window import BandWindow
from pipeline.database import Database, utcnow
from pipeline.schema import (
    article_tags,
    articles,
    crawl_workers,
    feed_state,
    ingested_batches,
    metadata,
    quarantine,
    runs,
    sources,
    story_keys,
    story_signatures,
)
from pipeline.story_index import BAND_RULE, TITLE_RULE, RecentIndex

__all__ = ["Store", "utcnow"]


class Store(Database):
    """The borderwatch database, with the articles, stories and coverage (pipeline.database has
    the connection and the bookkeeping rows)."""

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False) -> None:
        """Open the database at ``url`` (see ``Database``)."""
        # The story window's band keys, kept between batches (see recent_story_index).
        self._band_window = BandWindow()
        super().__init__(url, create=create, read_only=read_only)

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

    # -- quarantine -----------------------------------------------------------------------------
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

    # -- the bookkeeping rows as DataFrames, for ``status`` -------------------------------------
    def workers(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(crawl_workers).order_by(crawl_workers.c.name), conn)

    def feed_states(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(feed_state), conn)

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

    def last_runs(self) -> pd.DataFrame:
        """The latest run of every job."""
        latest = select(runs.c.job, func.max(runs.c.id).label("id")).group_by(runs.c.job)
        latest = latest.subquery()
        query = select(runs).join(latest, runs.c.id == latest.c.id).order_by(runs.c.job)
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    # -- reading for outputs --------------------------------------------------------------------
    def read_sql(self, query: Any, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self.engine.connect() as conn:
            if isinstance(query, str):
                query = text(query)
            return pd.read_sql(query, conn, params=params)


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
