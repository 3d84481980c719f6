"""Process staged batches, and stage a user's JSON Lines file first (``borderwatch ingest``).

A staged batch is processed in chunks; each chunk is stored in one transaction together with a
record that it was stored, and the batch file is deleted only when all its chunks are. A crash
at any point therefore loses nothing and stores nothing twice.
"""

from __future__ import annotations

import itertools
import json
import logging
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from borderwatch.progress import Progress
from crawler.staging import StagingArea
from pipeline.items import ItemError, validate_item
from pipeline.process import ProcessingRules, ProcessResult, prepare_chunk, store_prepared
from pipeline.store import Store, utcnow

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("borderwatch")

# Items per chunk: one transaction each. Large enough that per-chunk work (the story index
# lookup, coverage) is shared by many articles, small enough to bound memory (about 100 MB).
CHUNK_ITEMS = 2000


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class StageReport:
    staged: int = 0
    errors: list[LineError] = field(default_factory=list)
    batch: Path | None = None


def stage_file(path: Path, staging: StagingArea) -> StageReport:
    """Validate a JSON Lines file line by line and stage its good items as one batch."""
    report = StageReport()
    with (
        path.open(encoding="utf-8", errors="replace") as handle,
        staging.writer("ingest") as writer,
    ):
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = validate_item(json.loads(line))
            except json.JSONDecodeError as exc:
                report.errors.append(LineError(number, f"not valid JSON ({exc.msg})"))
                continue
            except ItemError as exc:
                report.errors.append(LineError(number, str(exc)))
                continue
            writer.write(item)
        report.staged = writer.count
    report.batch = writer.final_path if writer.count else None
    return report


@dataclass
class _Chunk:
    """One chunk of a staged batch on its way through ``process_staging``."""

    path: Path
    batch_id: str
    number: int
    items: list[dict]
    last: bool  # the batch's last chunk: the batch file may go once it is stored
    done: bool  # stored by an earlier run
    future: Future | None = None


def process_staging(
    staging: StagingArea,
    store: Store,
    rules: ProcessingRules,
    *,
    progress: Progress | None = None,
    chunk_items: int = CHUNK_ITEMS,
    parallel: bool | None = None,
) -> ProcessResult:
    """Process every complete staged batch, oldest first.

    With more than one chunk to do (or ``parallel=True``), the database-free stages of the next
    chunk (language, queries, fingerprints) run in a worker process while this process assigns
    stories to the current one and stores it, so both cores work. Chunks are still stored one
    at a time and in order, so the result is the same as without the worker.
    """
    total = ProcessResult()
    if parallel is None:
        # Whether there is more than one chunk: no need to count a big batch to the end.
        parallel = staging.pending_items(limit=chunk_items + 1) > chunk_items
    pool = _worker_pool() if parallel else None
    try:
        for chunk, frame in _prepared(_staged_chunks(staging, store, chunk_items), rules, pool):
            if frame is None:
                result = ProcessResult(items=len(chunk.items), skipped=len(chunk.items))
            else:
                result = store_prepared(
                    frame,
                    len(chunk.items),
                    rules,
                    store,
                    batch_id=chunk.batch_id,
                    chunk=chunk.number,
                )
            total.add(result)
            if progress is not None:
                progress.advance(
                    len(chunk.items), f"items, {total.new} new, {total.relevant} relevant"
                )
            if chunk.last:
                # Only now, with every chunk of the batch committed, may the batch go.
                staging.remove(chunk.path)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return total


def _staged_chunks(staging: StagingArea, store: Store, chunk_items: int) -> Iterator[_Chunk]:
    """The chunks of every staged batch, oldest batch first; new items only."""
    for path in staging.batches():
        batch_id = staging.batch_id(path)
        chunks = _chunks(_valid_items(path), chunk_items)
        current = next(chunks, [])
        number = 0
        while True:
            following = next(chunks, None)
            done = bool(current) and store.batch_done(batch_id, number)
            if current and not done:
                # Items whose URL is stored are not worth analyzing (a file ingested twice).
                stored = store.stored_urls(item["url"] for item in current)
                current = [item for item in current if item["url"] not in stored] or current[:0]
            yield _Chunk(path, batch_id, number, current, following is None, done)
            if following is None:
                break
            current, number = following, number + 1


def _prepared(
    chunks: Iterator[_Chunk], rules: ProcessingRules, pool: ProcessPoolExecutor | None
) -> Iterator[tuple[_Chunk, pd.DataFrame | None]]:
    """Each chunk with its analyzed frame (None when already stored); with a worker pool the
    next chunk is analyzed while the caller stores the current one."""
    waiting: deque[_Chunk] = deque()
    for chunk in chunks:
        if pool is not None and not chunk.done:
            chunk.future = pool.submit(prepare_chunk, chunk.items, rules, utcnow())
        waiting.append(chunk)
        if len(waiting) > (1 if pool is not None else 0):
            yield _finished(waiting.popleft(), rules)
    while waiting:
        yield _finished(waiting.popleft(), rules)


def _finished(chunk: _Chunk, rules: ProcessingRules) -> tuple[_Chunk, pd.DataFrame | None]:
    if chunk.done:
        return chunk, None
    if chunk.future is not None:
        return chunk, chunk.future.result()
    return chunk, prepare_chunk(chunk.items, rules, utcnow())


def _worker_pool() -> ProcessPoolExecutor:
    # A fresh interpreter ("spawn"): forking a process that holds database connections and,
    # in the daemon, scheduler threads is not safe.
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def _valid_items(path: Path) -> Iterator[dict]:
    """Items of a staged batch; one that breaks the item format is logged and left out."""
    for number, item in enumerate(StagingArea.read(path), start=1):
        try:
            yield validate_item(item)
        except ItemError as exc:
            log.warning("%s line %d: %s; item skipped", path.name, number, exc)


def _chunks(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
