"""The staging area: durable batches of items between collection and processing.

A batch is a JSON Lines file of items in the public item format. Writers build it under a
temporary name and rename it when complete, so a reader only ever sees whole batches; the
processing side deletes a batch only after the transaction that stored it has committed. Any
number of crawler processes may write into one staging folder: batch names are unique.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

BATCH_SUFFIX = ".jsonl"
PARTIAL_SUFFIX = ".part"


class BatchWriter:
    """Appends items to one batch; ``close`` publishes it atomically (nothing if empty)."""

    def __init__(self, folder: Path, prefix: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self.name = f"{stamp}-{prefix}-{uuid.uuid4().hex[:8]}"
        self.final_path = folder / f"{self.name}{BATCH_SUFFIX}"
        self._partial = folder / f"{self.name}{BATCH_SUFFIX}{PARTIAL_SUFFIX}"
        # Half of a surrogate pair in a scraped string (a stray "&#xd800;") cannot be encoded
        # and would stop the whole batch. It only ever occurs inside a JSON string, where
        # "backslashreplace" writes it as its JSON escape (\ud800); reading the batch turns
        # that into U+FFFD, as for any item file (pipeline.items.item_from_line).
        self._handle: TextIO | None = self._partial.open(
            "w", encoding="utf-8", errors="backslashreplace"
        )
        self.count = 0

    def write(self, item: dict[str, Any]) -> None:
        assert self._handle is not None, "batch already closed"
        self._handle.write(json.dumps(item, ensure_ascii=False, default=str))
        self._handle.write("\n")
        self.count += 1

    def close(self) -> Path | None:
        """Flush to disk and publish the batch; returns its path, or None when it was empty."""
        if self._handle is None:
            return self.final_path if self.final_path.exists() else None
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        if self.count == 0:
            self._partial.unlink(missing_ok=True)
            return None
        os.replace(self._partial, self.final_path)
        return self.final_path

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StagingArea:
    """A folder of complete batches waiting to be processed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def writer(self, prefix: str = "crawl") -> BatchWriter:
        return BatchWriter(self.root, prefix)

    def batches(self) -> list[Path]:
        """Complete batches, oldest first (names start with their creation time)."""
        return sorted(p for p in self.root.glob(f"*{BATCH_SUFFIX}") if p.is_file())

    @staticmethod
    def batch_id(path: Path) -> str:
        return path.name.removesuffix(BATCH_SUFFIX)

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)

    def pending_items(self, limit: int | None = None) -> int:
        """Items in the complete batches; counting stops once ``limit`` are found."""
        total = 0
        for path in self.batches():
            with path.open("rb") as handle:
                for line in handle:
                    # Lines are never empty: this is "if line.strip()" without the copy.
                    if not line.isspace():
                        total += 1
                        if total == limit:
                            return total
        return total
