"""Process staged batches, and stage a user's JSON Lines file first (``borderwatch ingest``).

A staged batch is processed in chunks; each chunk is stored in one transaction together with a
record that it was stored, and the batch file is deleted only when all its chunks are. A crash
at any point therefore loses nothing and stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from borderwatch.progress import Progress
from crawler.staging import StagingArea
from pipeline.items import ItemError, item_from_line
from pipeline.process import (
    ProcessingRules,
    ProcessResult,
    drop_stored_items,
    prepare_chunk,
    store_prepared,
)
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
                item = item_from_line(line)
            except ItemError as exc:
                report.errors.append(LineError(number, str(exc)))
                continue
            writer.write(item)
        report.staged = writer.count
    report.batch = writer.final_path if writer.count else None
    return report


@dataclass
class _Chunk:
    """One chunk of a staged batch on its way through ``process_staging``: its ``lines``
    non-blank lines are the bytes ``start`` to ``end`` of the batch file, the first being line
    ``first_line``."""

    path: Path
    batch_id: str
    number: int
    start: int
    end: int
    first_line: int
    lines: int
    last: bool  # the batch's last chunk: the batch file may go once it is stored
    done: bool  # stored by an earlier run
    future: Future | None = None


@dataclass
class _Analyzed:
    """A chunk read, validated and analyzed: the frame of its new items, and what it held."""

    frame: pd.DataFrame
    items: int
    problems: list[str]


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

    With more than one chunk to do (or ``parallel=True``), a worker process reads, validates
    and analyzes the next chunk (language, queries, fingerprints) while this process assigns
    stories to the current one and stores it, so both cores work. Chunks are still stored one
    at a time and in order, so the result is the same as without the worker.
    """
    total = ProcessResult()
    if parallel is None:
        # Whether there is more than one chunk: no need to count a big batch to the end.
        parallel = staging.pending_items(limit=chunk_items + 1) > chunk_items
    pool = _worker_pool(rules, store.url) if parallel else None
    try:
        for chunk, analyzed in _analyses(
            _staged_chunks(staging, store, chunk_items), rules, store, pool
        ):
            if analyzed is None:
                result = ProcessResult(items=chunk.lines, skipped=chunk.lines)
            else:
                for problem in analyzed.problems:
                    log.warning("%s %s; item skipped", chunk.path.name, problem)
                result = store_prepared(
                    analyzed.frame,
                    analyzed.items,
                    rules,
                    store,
                    batch_id=chunk.batch_id,
                    chunk=chunk.number,
                )
            total.add(result)
            if progress is not None:
                progress.advance(chunk.lines, f"items, {total.new} new, {total.relevant} relevant")
            if chunk.last:
                # Only now, with every chunk of the batch committed, may the batch go.
                staging.remove(chunk.path)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return total


def _staged_chunks(staging: StagingArea, store: Store, chunk_items: int) -> Iterator[_Chunk]:
    """The chunks of every staged batch, oldest batch first.

    Only the line boundaries are read here, as the chunks are asked for (so the worker starts
    on the first chunk before the rest of a large batch is scanned); the items are read where
    they are analyzed.
    """
    for path in staging.batches():
        batch_id = staging.batch_id(path)
        bounds = _chunk_bounds(path, chunk_items)
        following = next(bounds)
        for number in itertools.count():
            start, end, first_line, lines = following
            following = next(bounds, None)
            done = store.batch_done(batch_id, number)
            last = following is None
            yield _Chunk(path, batch_id, number, start, end, first_line, lines, last, done)
            if last:
                break


def _chunk_bounds(path: Path, size: int) -> Iterator[tuple[int, int, int, int]]:
    """(first byte, end byte, first line number, non-blank lines) of every ``size`` non-blank
    lines of a file, read as they are asked for.

    A file without items is one empty chunk, so that it is still removed when processed.
    """
    start = offset = 0
    first_line = 1
    count = 0
    found = False
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if count == 0:
                start, first_line = offset, number
            offset += len(line)
            if line.isspace():
                continue
            count += 1
            if count == size:
                yield start, offset, first_line, count
                found = True
                count = 0
    if count or not found:
        yield (start if count else offset, offset, first_line, count)


def _analyses(
    chunks: Iterator[_Chunk],
    rules: ProcessingRules,
    store: Store,
    pool: ProcessPoolExecutor | None,
) -> Iterator[tuple[_Chunk, _Analyzed | None]]:
    """Each chunk with its analysis (None when already stored); with a worker pool the next
    chunk is analyzed while the caller stores the current one."""
    waiting: deque[_Chunk] = deque()
    for chunk in chunks:
        if pool is not None and not chunk.done:
            chunk.future = pool.submit(
                analyze_chunk, chunk.path, chunk.start, chunk.end, chunk.first_line, utcnow()
            )
        waiting.append(chunk)
        if len(waiting) > (1 if pool is not None else 0):
            yield _finished(waiting.popleft(), rules, store)
    while waiting:
        yield _finished(waiting.popleft(), rules, store)


def _finished(
    chunk: _Chunk, rules: ProcessingRules, store: Store
) -> tuple[_Chunk, _Analyzed | None]:
    if chunk.done:
        return chunk, None
    if chunk.future is not None:
        return chunk, chunk.future.result()
    return chunk, _analyze(chunk.path, chunk.start, chunk.end, chunk.first_line, rules, store)


def analyze_chunk(path: Path, start: int, end: int, first_line: int, now: dt.datetime) -> _Analyzed:
    """Read, validate and analyze one chunk of a staged batch (what the worker process runs),
    with the rules and the read-only store the worker was started with."""
    return _analyze(path, start, end, first_line, _WORKER["rules"], _WORKER["store"], now)


# The worker's rules and its own connection to the database (it only reads), set once when it
# starts: sending the rules with every chunk would parse every query again per chunk.
_WORKER: dict[str, Any] = {}


def _start_worker(rules: ProcessingRules, store_url: str) -> None:
    _WORKER["rules"] = rules
    _WORKER["store"] = Store(store_url, create=False)


def _analyze(
    path: Path,
    start: int,
    end: int,
    first_line: int,
    rules: ProcessingRules,
    store: Store,
    now: dt.datetime | None = None,
) -> _Analyzed:
    items, problems = _read_items(path, start, end, first_line)
    count = len(items)
    items = drop_stored_items(items, store)
    return _Analyzed(prepare_chunk(items, rules, now or utcnow()), count, problems)


def _read_items(path: Path, start: int, end: int, first_line: int) -> tuple[list[dict], list[str]]:
    """The valid items of bytes ``start`` to ``end`` of a batch, and a message for each line
    that breaks the item format."""
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    items = []
    problems = []
    for number, line in enumerate(
        data.decode("utf-8", errors="replace").splitlines(), start=first_line
    ):
        if not line or line.isspace():
            continue
        try:
            items.append(item_from_line(line))
        except ItemError as exc:
            problems.append(f"line {number}: {exc}")
    return items, problems


def _worker_pool(rules: ProcessingRules, store_url: str) -> ProcessPoolExecutor:
    # A fresh interpreter ("spawn"): forking a process that holds database connections and,
    # in the daemon, scheduler threads is not safe.
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(rules, store_url),
    )
