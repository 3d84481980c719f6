"""Process staged batches, and stage a user's JSON Lines file first (``borderwatch ingest``).

A staged batch is processed in chunks; each chunk is stored in one transaction together with a
record that it was stored, and the batch file is deleted only when all its chunks are. A crash
at any point therefore loses nothing and stores nothing twice.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.progress import Progress
from crawler.staging import StagingArea
from pipeline.items import ItemError, validate_item
from pipeline.process import ProcessingRules, ProcessResult, process_items
from pipeline.store import Store

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


def process_staging(
    staging: StagingArea,
    store: Store,
    rules: ProcessingRules,
    *,
    progress: Progress | None = None,
    chunk_items: int = CHUNK_ITEMS,
) -> ProcessResult:
    """Process every complete staged batch, oldest first."""
    total = ProcessResult()
    for path in staging.batches():
        batch_id = staging.batch_id(path)
        for chunk, items in enumerate(_chunks(_valid_items(path), chunk_items)):
            result = process_items(items, rules, store, batch_id=batch_id, chunk=chunk)
            total.add(result)
            if progress is not None:
                progress.advance(len(items), f"items, {total.new} new, {total.relevant} relevant")
        # Only now, with every chunk committed, may the batch go.
        staging.remove(path)
    return total


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
