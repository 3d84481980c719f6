"""The staging area: durable batches of items between collection and processing.

A batch is a JSON Lines file of items in the public item format. Writers build it under a
temporary name and rename it when complete, so a reader only ever sees whole batches; the
processing side deletes a batch only after the transaction that stored it has committed. Any
number of crawler processes may write into one staging folder: batch names are unique.

A batch belongs to the database it was collected for. A staging area opened for a database
(``owner``) keeps that database's batches in a folder of their own, ``db-<identity>/``, with a
``database.json`` that names the database (its URL without the password), and lists, stores and
removes only those; the batches of other databases, and batches from before batches recorded
their database (directly in the staging folder), are left alone and listed by ``foreign``.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

BATCH_SUFFIX = ".jsonl"
PARTIAL_SUFFIX = ".part"
OWNER_PREFIX = "db-"
OWNER_FILE = "database.json"


@dataclass(frozen=True)
class Owner:
    """The database a staging area serves: its identity and, for messages, its URL without the
    password."""

    identity: str
    label: str


@dataclass(frozen=True)
class ForeignBatch:
    """A batch this staging area leaves alone: it belongs to ``label`` (another database, or
    none recorded)."""

    path: Path
    label: str


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
    """A folder of complete batches waiting to be processed.

    With an ``owner``, the batches of that database only (see the module's docstring); without
    one, the batches directly in ``root`` (what a crawl child writes into: the folder it is
    handed is already its database's).
    """

    def __init__(self, root: Path, owner: Owner | None = None) -> None:
        self.base = Path(root)
        self.owner = owner
        self.root = self.base / f"{OWNER_PREFIX}{owner.identity}" if owner else self.base
        self.root.mkdir(parents=True, exist_ok=True)
        if owner is not None:
            _write_owner(self.root, owner)

    def writer(self, prefix: str = "crawl") -> BatchWriter:
        return BatchWriter(self.root, prefix)

    def batches(self) -> list[Path]:
        """Complete batches, oldest first (names start with their creation time)."""
        return _batches(self.root)

    def foreign(self) -> list[ForeignBatch]:
        """The batches of other databases, and those that name no database, oldest first."""
        if self.owner is None:
            return []
        found = [ForeignBatch(path, "no database recorded") for path in _batches(self.base)]
        for folder in sorted(self.base.glob(f"{OWNER_PREFIX}*")):
            if folder == self.root or not folder.is_dir():
                continue
            label = _read_owner(folder)
            found.extend(ForeignBatch(path, label) for path in _batches(folder))
        return sorted(found, key=lambda batch: batch.path.name)

    def adopt(self, path: Path) -> Path:
        """Make a foreign batch this database's (it is then processed into it); its new path."""
        target = self.root / path.name
        os.replace(path, target)
        return target

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


def _batches(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(f"*{BATCH_SUFFIX}") if p.is_file())


def _write_owner(folder: Path, owner: Owner) -> None:
    """Name the database in its folder (atomically; only when it changed)."""
    path = folder / OWNER_FILE
    record = {"identity": owner.identity, "database": owner.label}
    if _read_json(path) == record:
        return
    # A name of its own: another process may be writing the same record at the same moment.
    partial = folder / f"{OWNER_FILE}.{uuid.uuid4().hex[:8]}{PARTIAL_SUFFIX}"
    partial.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _read_owner(folder: Path) -> str:
    record = _read_json(folder / OWNER_FILE) or {}
    label = record.get("database") if isinstance(record, dict) else None
    return str(label) if label else f"database {folder.name.removeprefix(OWNER_PREFIX)}"


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
