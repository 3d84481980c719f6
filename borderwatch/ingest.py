"""Process staged batches, and stage a user's JSON Lines file first (``borderwatch ingest``).

A staged batch is processed in chunks; each chunk is stored in one transaction together with a
record that it was stored, and the batch file is deleted only when all its chunks are. A crash
at any point therefore loses nothing and stores nothing twice.

Processing holds the database's processing lock (``borderwatch.lock.processing_lock``), so two
processes never store into one database at once, and takes only the batches staged for that
database (``crawler.staging``). An item the database refuses to store does not hold up its
chunk: the chunk is stored in parts around it, and the item is set aside in the ``quarantine``
table with its batch, line and the database's message.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import multiprocessing
import os
import sqlite3
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import sqlalchemy.exc

from borderwatch.bulk_gc import bulk_collection, tune_for_bulk_work
from borderwatch.database_staging import DatabaseStaging
from borderwatch.database_url import safe_url
from borderwatch.item_dates import check_dates
from borderwatch.lock import processing_lock
from borderwatch.parent_watch import die_with_parent
from borderwatch.progress import Progress
from crawler.staging import Owner, StagingArea
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

# What a database (or the stages) raise for a value they cannot take: such an error belongs to
# an item, which is then looked for and set aside. Anything else (a lost connection, a full
# disk, a bug) stops processing with the batch still staged.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.DataError,
    sqlalchemy.exc.IntegrityError,
    psycopg.DataError,
    psycopg.IntegrityError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
    ValueError,  # UnicodeError and pandas' out-of-range dates among them
    OverflowError,
)

# Batches of other databases already mentioned by this process: each is mentioned once.
_mentioned: set[str] = set()


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
    # Problems the items of these lines survived (a cut title, a date that cannot be right).
    notes: list[LineError] = field(default_factory=list)
    batch: Path | None = None


def staging_for(store: Store, staging: StagingArea) -> StagingArea:
    """The staging area of ``store``'s database in the folder of ``staging`` (a staging area in
    the database itself is returned as it is: it holds only that database's batches)."""
    if isinstance(staging, DatabaseStaging):
        return staging
    owner = Owner(store.identity(), safe_url(store.url))
    if staging.owner == owner:
        return staging
    if staging.owner is not None and staging.owner.identity != owner.identity:
        raise ValueError(f"the staging area {staging.root} belongs to {staging.owner.label}")
    return StagingArea(staging.base, owner)


def stage_file(path: Path, staging: StagingArea) -> StageReport:
    """Validate a JSON Lines file line by line and stage its good items as one batch.

    ``staging`` should be the database's own area (``staging_for``). A byte order mark at the
    start of the file is skipped.
    """
    report = StageReport()
    with (
        path.open(encoding="utf-8-sig", errors="replace", newline="\n") as handle,
        staging.writer("ingest") as writer,
    ):
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            notes: list[str] = []
            try:
                item = check_dates(item_from_line(line, notes), notes)
            except ItemError as exc:
                report.errors.append(LineError(number, str(exc)))
                continue
            report.notes.extend(LineError(number, note) for note in notes)
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
    """A chunk read, validated and analyzed: the frame of its new items, and what it held.

    ``frame`` is None when the analysis failed on an item (``failure``)."""

    frame: pd.DataFrame | None
    items: int
    problems: list[str]
    failure: BaseException | None = None


def process_staging(
    staging: StagingArea,
    store: Store,
    rules: ProcessingRules,
    *,
    progress: Progress | None = None,
    chunk_items: int = CHUNK_ITEMS,
    parallel: bool | None = None,
    wait: bool = True,
) -> ProcessResult:
    """Process every complete batch staged for ``store``'s database, oldest first.

    Holds the database's processing lock meanwhile: with ``wait`` it waits for another process
    that holds it (and says so once), else raises ``borderwatch.lock.LockHeld``. Batches staged
    for other databases are left alone and mentioned once.

    With more than one chunk to do (or ``parallel=True``), a worker process reads, validates
    and analyzes the next chunk (language, queries, fingerprints) while this process assigns
    stories to the current one and stores it, so both cores work. Chunks are still stored one
    at a time and in order, so the result is the same as without the worker.
    """
    with (
        processing_lock(store.url, wait=wait, on_wait=_say_waiting),
        bulk_collection(),
    ):
        staging = staging_for(store, staging)
        _mention_foreign(staging)
        return _process_locked(staging, store, rules, progress, chunk_items, parallel)


def _say_waiting(holder: str) -> None:
    log.warning("another process is storing into this database (%s): waiting for it", holder)


def _mention_foreign(staging: StagingArea) -> None:
    """One line per batch of another database, once per process."""
    for batch in staging.foreign():
        if batch.path.name in _mentioned:
            continue
        _mentioned.add(batch.path.name)
        log.warning(
            "staged batch %s belongs to %s: left alone (borderwatch staging list; "
            "borderwatch staging adopt stores it into this database)",
            batch.path.name,
            batch.label,
        )


def _process_locked(
    staging: StagingArea,
    store: Store,
    rules: ProcessingRules,
    progress: Progress | None,
    chunk_items: int,
    parallel: bool | None,
) -> ProcessResult:
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
                    log.warning("%s %s", chunk.path.name, problem)
                result = _store(chunk, analyzed, rules, store)
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
    try:
        if chunk.future is not None:
            return chunk, chunk.future.result()
        return chunk, _analyze(chunk.path, chunk.start, chunk.end, chunk.first_line, rules, store)
    except DATA_ERRORS as exc:
        # An item the stages cannot take: storing finds it, item by item if need be.
        return chunk, _Analyzed(None, chunk.lines, [], failure=exc)


def _store(
    chunk: _Chunk, analyzed: _Analyzed, rules: ProcessingRules, store: Store
) -> ProcessResult:
    """Store an analyzed chunk; if an item of it is refused, store the rest around it."""
    if analyzed.frame is not None:
        try:
            return store_prepared(
                analyzed.frame,
                analyzed.items,
                rules,
                store,
                batch_id=chunk.batch_id,
                chunk=chunk.number,
                last=chunk.last,
            )
        except DATA_ERRORS as exc:
            analyzed.failure = exc
    return _store_around_refused(chunk, rules, store)


def _store_around_refused(chunk: _Chunk, rules: ProcessingRules, store: Store) -> ProcessResult:
    """Store a chunk that failed as a whole in halves, and halves of those, until every item
    that fails on its own is found; those go to the quarantine, reported once each.

    Each part is analyzed and stored afresh, in its own transaction, so a part sees the stories
    the parts before it stored; the quarantine rows and the chunk's "stored" mark are written
    together at the end. Killed in between, the next run finds the stored parts' URLs stored
    and repeats the rest.
    """
    items, lines, _problems = _read_items(chunk.path, chunk.start, chunk.end, chunk.first_line)
    stored = store.stored_urls(item["url"] for item in items)
    pending = [(line, item) for line, item in zip(lines, items, strict=True)]
    pending = [(line, item) for line, item in pending if item["url"] not in stored]
    result = ProcessResult(items=chunk.lines)
    refused: list[tuple[int, str, str]] = []

    def attempt(part: list[tuple[int, dict[str, Any]]]) -> None:
        try:
            frame = prepare_chunk([item for _line, item in part], rules, utcnow())
            figures = store_prepared(frame, len(part), rules, store)
        except DATA_ERRORS as exc:
            if len(part) > 1:
                middle = len(part) // 2
                attempt(part[:middle])
                attempt(part[middle:])
                return
            line, item = part[0]
            message = _one_line(exc)
            log.warning(
                "%s line %d: the database refused the item (%s): set aside "
                "(borderwatch staging quarantine lists it)",
                chunk.path.name,
                line,
                message,
            )
            refused.append((line, json.dumps(item, ensure_ascii=True), message))
            return
        result.new += figures.new
        result.relevant += figures.relevant

    if pending:
        attempt(pending)
    store.set_aside(chunk.batch_id, chunk.number, chunk.lines, refused, release_batch=chunk.last)
    result.quarantined = len(refused)
    result.skipped = result.items - result.new
    return result


def _one_line(exc: BaseException) -> str:
    """An exception's message in one line (a driver's message often has more)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


def analyze_chunk(path: Path, start: int, end: int, first_line: int, now: dt.datetime) -> _Analyzed:
    """Read, validate and analyze one chunk of a staged batch (what the worker process runs),
    with the rules and the read-only store the worker was started with."""
    return _analyze(path, start, end, first_line, _WORKER["rules"], _WORKER["store"], now)


# The worker's rules and its own connection to the database (it only reads), set once when it
# starts: sending the rules with every chunk would parse every query again per chunk.
_WORKER: dict[str, Any] = {}


def _start_worker(rules: ProcessingRules, store_url: str, parent: int) -> None:
    # Killed with its parent (kill -9 included): an orphan would hold a connection, and the
    # resource tracker that waits for it, for good.
    die_with_parent(parent)
    _WORKER["rules"] = rules
    _WORKER["store"] = Store(store_url, create=False)
    tune_for_bulk_work()


def _analyze(
    path: Path,
    start: int,
    end: int,
    first_line: int,
    rules: ProcessingRules,
    store: Store,
    now: dt.datetime | None = None,
) -> _Analyzed:
    items, _lines, problems = _read_items(path, start, end, first_line)
    count = len(items)
    items = drop_stored_items(items, store)
    return _Analyzed(prepare_chunk(items, rules, now or utcnow()), count, problems)


def _read_items(
    path: Path, start: int, end: int, first_line: int
) -> tuple[list[dict], list[int], list[str]]:
    """The valid items of bytes ``start`` to ``end`` of a batch, their line numbers, and a
    message for each line that breaks the item format or had to be mended."""
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    items = []
    lines = []
    problems = []
    # Lines end at "\n" only, as _chunk_bounds counts them (str.splitlines would also split at
    # a form feed or a line separator inside a line).
    for number, line in enumerate(
        data.decode("utf-8", errors="replace").split("\n"), start=first_line
    ):
        if not line or line.isspace():
            continue
        notes: list[str] = []
        try:
            items.append(check_dates(item_from_line(line, notes), notes))
        except ItemError as exc:
            problems.append(f"line {number}: {exc}; item skipped")
            continue
        lines.append(number)
        problems.extend(f"line {number}: {note}; item kept" for note in notes)
    return items, lines, problems


def _worker_pool(rules: ProcessingRules, store_url: str) -> ProcessPoolExecutor:
    # A fresh interpreter ("spawn"): forking a process that holds database connections and,
    # in the daemon, scheduler threads is not safe.
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(rules, store_url, os.getpid()),
    )
