"""The staging area in the database (``staged_batches``), for crawl workers on other machines.

It offers what processing uses of ``crawler.staging.StagingArea``: complete batches oldest
first, their ids, ``remove``, ``pending_items``, a ``writer``. A batch is built in a local file
as usual and published by one committed INSERT of its bytes; processing reads each batch into a
local cache file (the chunk machinery reads byte ranges of files) and the batch's row is deleted
in the transaction that records its last chunk stored (``Store.save_articles``), so a crash at
any point loses nothing and stores nothing twice.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from crawler.staging import BATCH_SUFFIX, PARTIAL_SUFFIX, BatchWriter, ForeignBatch, Owner
from pipeline.database import Database

# Where, in the local staging folder, crawl children build their batches before publishing
# them, and where processing keeps its copies of the batches it reads.
OUTGOING = "outgoing"
CACHE = "from-database"


class DatabaseBatchWriter(BatchWriter):
    """A BatchWriter whose ``close`` publishes the batch into the database."""

    def __init__(self, staging: DatabaseStaging, folder: Path, prefix: str) -> None:
        super().__init__(folder, prefix)
        self.staging = staging

    def close(self) -> Path | None:
        path = super().close()
        if path is not None and path.exists():
            self.staging.publish_file(path)
        return path


class DatabaseStaging:
    """Batches staged in ``store``'s database; ``local`` is this machine's staging folder."""

    def __init__(self, store: Database, local: Path) -> None:
        self.store = store
        self.owner = Owner(store.identity(), "this database")
        self.base = Path(local)
        self.root = self.base / f"{CACHE}-{self.owner.identity}"
        self.root.mkdir(parents=True, exist_ok=True)

    # -- writing --------------------------------------------------------------------------------
    def outgoing(self) -> Path:
        """A fresh local folder for one crawl to build its batch in (``publish_folder`` sends
        it)."""
        folder = self.base / OUTGOING / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def writer(self, prefix: str = "crawl") -> BatchWriter:
        return DatabaseBatchWriter(self, self.outgoing(), prefix)

    def publish_file(self, path: Path) -> None:
        """Publish one complete local batch into the database, then remove the file."""
        body = path.read_bytes()
        items = sum(1 for line in body.split(b"\n") if line.strip())
        self.store.publish_batch(
            path.name.removesuffix(BATCH_SUFFIX), self.owner.identity, items, body
        )
        path.unlink(missing_ok=True)
        _remove_if_empty(path.parent)

    def publish_folder(self, folder: Path) -> int:
        """Publish every complete batch in ``folder`` (a crawl's, or left behind by a crawl that
        died between finishing its batch and publishing it); returns how many."""
        count = 0
        for path in sorted(Path(folder).glob(f"*{BATCH_SUFFIX}")):
            self.publish_file(path)
            count += 1
        _remove_if_empty(Path(folder))
        return count

    def publish_leftovers(self) -> int:
        """Publish the complete batches of every crawl folder on this machine; partial ones
        (still being written, or of a crawl that died) are left."""
        outgoing = self.base / OUTGOING
        if not outgoing.is_dir():
            return 0
        return sum(
            self.publish_folder(folder) for folder in sorted(outgoing.iterdir()) if folder.is_dir()
        )

    # -- reading (processing) -------------------------------------------------------------------
    def batches(self) -> list[Path]:
        """The database's staged batches, oldest first, as local copies."""
        staged = self.store.staged_batch_list()
        wanted = {f"{batch_id}{BATCH_SUFFIX}" for batch_id, _items in staged}
        for stale in self.root.glob(f"*{BATCH_SUFFIX}"):
            if stale.name not in wanted:
                stale.unlink(missing_ok=True)
        paths = []
        for batch_id, _items in staged:
            path = self.root / f"{batch_id}{BATCH_SUFFIX}"
            if not path.exists():
                body = self.store.staged_batch_body(batch_id)
                if body is None:  # processed by another process meanwhile
                    continue
                partial = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}{PARTIAL_SUFFIX}")
                partial.write_bytes(body)
                os.replace(partial, path)
            paths.append(path)
        return paths

    def foreign(self) -> list[ForeignBatch]:
        """Rows of the database's own table belong to it: none is foreign."""
        return []

    @staticmethod
    def batch_id(path: Path) -> str:
        return path.name.removesuffix(BATCH_SUFFIX)

    def remove(self, path: Path) -> None:
        """Forget a processed batch: its row (normally gone with its last chunk) and its copy."""
        self.store.delete_staged_batch(self.batch_id(path))
        path.unlink(missing_ok=True)

    def pending_items(self, limit: int | None = None) -> int:
        total = sum(items for _batch, items in self.store.staged_batch_list())
        return min(total, limit) if limit is not None else total


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
