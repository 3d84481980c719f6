"""Readers and the writer coexist: report queries while a batch is stored never fail.

A separate (forked) process stores a staged batch chunk by chunk, as the daemon does; reader
threads in this process run report-style queries in a loop meanwhile. None may fail (on SQLite
that would be "database is locked"), and every answer must be consistent: coverage is written in
the same transaction as its articles, so one query never sees one without the other.
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from sqlalchemy import text

from borderwatch.collect import sync_configuration
from borderwatch.config import Config
from borderwatch.ingest import process_staging, staging_for
from borderwatch.plan import processing_rules
from crawler.staging import StagingArea
from pipeline.engine import make_engine
from pipeline.process import process_items
from pipeline.store import Store
from tests.support.synthetic import make_items, persistence_config

FORK = multiprocessing.get_context("fork")
READERS = 2

REPORT_QUERIES = [
    # A trend by tag over days.
    "SELECT day, tag, SUM(articles) AS articles, SUM(stories) AS stories FROM daily_coverage "
    "WHERE tag IN ('talks', 'border', 'refugees') GROUP BY day, tag ORDER BY day, tag",
    # Share of volume per source and day.
    "SELECT v.day, v.source, v.articles AS volume, COALESCE(c.articles, 0) AS relevant "
    "FROM daily_volume v LEFT JOIN daily_coverage c "
    "ON c.day = v.day AND c.source = v.source AND c.tag = '*' ORDER BY v.day, v.source",
    # The relevant articles of a day with their tags and stories (a digest-style read).
    "SELECT a.id, a.title, a.source, s.articles, t.tag FROM articles a "
    "JOIN stories s ON s.id = a.story_id LEFT JOIN article_tags t ON t.article_id = a.id "
    "WHERE a.day = '2025-10-15' AND a.relevant ORDER BY s.articles DESC, a.id",
]
# One statement, one snapshot: relevant articles and the coverage that counts them.
CONSISTENCY = (
    "SELECT (SELECT COUNT(*) FROM articles WHERE relevant), "
    "(SELECT COALESCE(SUM(articles), 0) FROM daily_coverage WHERE tag = '*'), "
    "(SELECT COUNT(*) FROM articles), (SELECT COALESCE(SUM(articles), 0) FROM daily_volume)"
)


def _write(config: Config, url: str) -> None:
    store = Store(url)
    process_staging(
        StagingArea(config.staging_path), store, processing_rules(config), chunk_items=20
    )
    store.close()


def test_report_queries_run_while_the_writer_stores(tmp_path: Path, db_url: str) -> None:
    config = persistence_config(tmp_path)
    store = Store(db_url)
    sync_configuration(config, store)
    process_items(make_items(0, 20, "warmup"), processing_rules(config), store)
    staging = staging_for(store, StagingArea(config.staging_path))
    store.close()
    with staging.writer("concurrency") as writer:
        for item in make_items(3, 600, "concurrent"):
            writer.write(item)

    readers = Store(db_url)
    errors: list[BaseException] = []
    totals: list[set[int]] = [set() for _ in range(READERS)]
    queries = [0] * READERS
    done = threading.Event()

    def read(number: int) -> None:
        try:
            while not done.is_set():
                with readers.engine.connect() as conn:
                    relevant, covered, stored, volume = conn.execute(text(CONSISTENCY)).one()
                    assert (relevant, stored) == (covered, volume), "coverage out of step"
                    totals[number].add(stored)
                    for sql in REPORT_QUERIES:
                        conn.execute(text(sql)).all()
                    conn.rollback()
                queries[number] += 1 + len(REPORT_QUERIES)
                done.wait(0.01)  # leave the writer some of the machine's two cores
        except BaseException as exc:  # collected and reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    writer_process = FORK.Process(target=_write, args=(config, db_url))
    writer_process.start()
    for thread in threads:
        thread.start()
    writer_process.join(600)
    done.set()
    for thread in threads:
        thread.join(60)
    readers.close()

    assert not errors, f"a reader failed: {errors[0]!r}"
    assert writer_process.exitcode == 0, "the writer failed"
    assert not list(staging.batches())
    # The readers really ran during the writes: each saw the article count grow.
    for number in range(READERS):
        assert queries[number] >= 20
        assert len(totals[number]) >= 3, f"reader {number} saw {sorted(totals[number])}"
    store = Store(db_url)
    assert store.count("articles") == 620
    store.close()


def test_connection_settings_for_readers_and_writers(db_url: str) -> None:
    """WAL and a busy timeout on SQLite, enforced foreign keys; psycopg 3 on PostgreSQL."""
    store = Store(db_url)
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        else:
            assert store.engine.dialect.driver == "psycopg"
    store.close()
    # Plain postgresql:// and postgres:// URLs get psycopg 3 as well.
    assert make_engine("postgresql://u@127.0.0.1/x").dialect.driver == "psycopg"
    assert make_engine("postgres://u@127.0.0.1/x").dialect.driver == "psycopg"


def test_connections_opening_a_new_sqlite_file_together_all_succeed(tmp_path: Path) -> None:
    """The first connection to a new file switches it to WAL; others opening it then wait.

    SQLite refuses that switch at once, without its busy handler, while another connection has
    the file open: two ``ingest`` runs starting on a new database used to end with "database is
    locked". Several connections open each new file at the same instant, round after round.
    """
    rounds, together = 40, 6
    failures: list[str] = []
    for number in range(rounds):
        path = tmp_path / f"new-{number}.sqlite"
        start = threading.Barrier(together)

        def open_and_read(url: str = f"sqlite:///{path}", start: threading.Barrier = start) -> None:
            engine = make_engine(url)
            start.wait()
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1").scalar_one()
            except Exception as error:  # noqa: BLE001 -- every failure is collected and reported
                failures.append(f"{url}: {error}")
            finally:
                engine.dispose()

        threads = [threading.Thread(target=open_and_read) for _ in range(together)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        journal = make_engine(f"sqlite:///{path}")
        with journal.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        journal.dispose()
    assert failures == []
