"""Kill processing with SIGKILL at random points: nothing staged is lost or stored twice.

A batch of a few thousand items is staged and processed in small chunks by a separate process,
which is killed with SIGKILL at a random point (a random number of chunks on, then a random
moment inside the next chunk), restarted, killed again, and so on: 20 times, fixed seeds, one
restart in four with the analysis worker process. Then a last run finishes. After every kill
exactly the items of the chunks recorded as committed are stored, each once, with whole stories
and coverage equal to a rebuild; at the end every staged item is stored exactly once and the
batch is gone. Every batch holds items with NUL characters (which PostgreSQL cannot store), and
after every other kill a run against a second database (another --db) must leave the batch
alone. The processes are forked from the test process, which has already imported
pandas and the stages, so each restart costs processing and not Python's start-up.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import time
from pathlib import Path

import psutil
from sqlalchemy import bindparam, select, text

from borderwatch.collect import sync_configuration
from borderwatch.config import Config
from borderwatch.ingest import process_staging, staging_for
from borderwatch.plan import processing_rules
from crawler.staging import StagingArea
from pipeline.process import process_items
from pipeline.schema import articles, ingested_batches
from pipeline.store import Store
from tests.support.dbcheck import assert_coverage_equals_rebuild, assert_stories_consistent
from tests.support.synthetic import make_items, persistence_config

KILLS = 20
BATCH_ITEMS = 2000
CHUNK_ITEMS = 20
FORK = multiprocessing.get_context("fork")


def _process(config: Config, url: str, ready, parallel: bool) -> None:
    """The processing process: open the store, say so, and process everything staged."""
    store = Store(url)
    ready.set()
    process_staging(
        StagingArea(config.staging_path),
        store,
        processing_rules(config),
        chunk_items=CHUNK_ITEMS,
        parallel=parallel,
    )
    store.close()


def _start(config: Config, url: str, parallel: bool = False):
    ready = FORK.Event()
    child = FORK.Process(target=_process, args=(config, url, ready, parallel))
    child.start()
    assert ready.wait(60), "the processing process did not start"
    return child


def _kill_tree(child) -> None:
    """SIGKILL the process and its analysis worker, as an OOM kill or a power cut would."""
    try:
        family = psutil.Process(child.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    child.kill()  # SIGKILL: no cleanup, no rollback handler, nothing flushed
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    child.join(30)
    psutil.wait_procs(family, timeout=30)


def _committed_chunks(store: Store, batch_id: str) -> set[int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(ingested_batches.c.chunk).where(ingested_batches.c.batch_id == batch_id)
        )
        return {r[0] for r in rows}


def _stored_urls(store: Store, urls: list[str]) -> list[str]:
    query = select(articles.c.url).where(articles.c.url.in_(bindparam("urls", expanding=True)))
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(query, {"urls": urls})]


def _settle(store: Store) -> None:
    """Wait until the killed process's server sessions have ended (PostgreSQL).

    A COMMIT the process sent just before it died still completes on the server, and a session
    in a transaction is rolled back only when the server notices the dead socket: either way
    the outcome is all or nothing, but the checks must look after it, not during it.
    """
    if store.dialect != "postgresql":
        return
    query = text(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with store.engine.connect() as conn:
            if conn.execute(query).scalar_one() == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the killed process's sessions did not end")


def _stage(staging: StagingArea, seed: int) -> tuple[Path, str, list[list[str]]]:
    """Stage a batch; returns its path, its id and the URLs of each of its chunks."""
    items = make_items(seed, BATCH_ITEMS, f"crash{seed}")
    for item in items[::97]:
        item["title"] = item["title"].replace(" ", "\u0000 ", 1)
    with staging.writer("crash") as writer:
        for item in items:
            writer.write(item)
    urls = [item["url"] for item in items]
    chunks = [urls[i : i + CHUNK_ITEMS] for i in range(0, len(urls), CHUNK_ITEMS)]
    return writer.final_path, staging.batch_id(writer.final_path), chunks


def _process_elsewhere(config: Config, other: Path, batch: Path) -> None:
    """What a command run with another --db does: it must store none of this batch."""
    store = Store(f"sqlite:///{other}")
    sync_configuration(config, store)
    result = process_staging(StagingArea(config.staging_path), store, processing_rules(config))
    assert (result.items, store.count("articles")) == (0, 0)
    store.close()
    assert batch.exists(), "a run against another database took the batch"


def test_sigkill_during_processing_loses_and_doubles_nothing(tmp_path: Path, db_url: str) -> None:
    config = persistence_config(tmp_path)
    store = Store(db_url)
    sync_configuration(config, store)
    # Warm up here (the language model, the compiled queries) so forked children inherit it.
    process_items(make_items(0, 20, "warmup"), processing_rules(config), store)
    staging = staging_for(store, StagingArea(config.staging_path))
    store.close()  # no connection of ours crosses a fork
    batches = [_stage(staging, seed=1)]

    rng = random.Random(20251027)
    kills = mid_batch = 0
    while kills < KILLS:
        path, batch_id, chunks = batches[-1]
        watcher = Store(db_url)
        done_before = len(_committed_chunks(watcher, batch_id))
        watcher.close()  # nothing of ours is open across the fork
        # One restart in four uses the analysis worker process, as the daemon does.
        child = _start(config, db_url, parallel=kills % 4 == 3)
        # A random point: a few chunks on, then a random moment inside the next one.
        target = done_before + rng.randint(1, 4)
        watcher = Store(db_url)
        while child.is_alive() and len(_committed_chunks(watcher, batch_id)) < target:
            time.sleep(0.01)
        watcher.close()
        time.sleep(rng.uniform(0, 0.15))
        if not child.is_alive():
            # The batch was finished before the kill: stage another one.
            assert child.exitcode == 0
            batches.append(_stage(staging, seed=len(batches) + 1))
            continue
        _kill_tree(child)
        kills += 1

        path, batch_id, chunks = batches[-1]
        store = Store(db_url)
        _settle(store)
        committed = _committed_chunks(store, batch_id)
        mid_batch += 0 < len(committed) < len(chunks)
        urls = [url for chunk in chunks for url in chunk]
        expected = sorted(url for number in committed for url in chunks[number])
        stored = _stored_urls(store, urls)
        assert sorted(stored) == expected, f"kill {kills}: stored items differ from the commits"
        assert_stories_consistent(store)
        assert_coverage_equals_rebuild(store)
        store.close()
        assert path.exists(), "the batch left staging before all of it was stored"
        if kills % 2:
            _process_elsewhere(config, tmp_path / "elsewhere.sqlite", path)

    finisher = _start(config, db_url, parallel=True)
    finisher.join(600)
    assert finisher.exitcode == 0, "the restarted processing failed"

    store = Store(db_url)
    for _path, batch_id, chunks in batches:
        urls = [url for chunk in chunks for url in chunk]
        assert sorted(_stored_urls(store, urls)) == sorted(urls), "an item was lost or doubled"
        assert _committed_chunks(store, batch_id) == set(range(len(chunks)))
    assert not list(staging.batches()), "a batch was left in staging"
    with store.engine.connect() as conn:
        titles = [r[0] for r in conn.execute(select(articles.c.title))]
    assert not any("\x00" in title for title in titles)
    assert_stories_consistent(store)
    assert_coverage_equals_rebuild(store)
    store.close()
    # The kills must land inside a batch, not only before its first commit.
    assert mid_batch >= KILLS // 2, f"only {mid_batch} of {KILLS} kills landed mid-batch"
