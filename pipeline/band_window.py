"""The LSH band keys of the story window, held in memory between the batches of one store.

Every batch's band keys are compared with those of every article in the window
(``story_signatures.bands``). Reading the whole window for each batch cost more than the rest
of storing it, so the store keeps the window here and per batch reads only the rows added since
(by article id), forgets the rows its own pruning deleted, and checks the count and the sum of
the ids against the table. Anything else that changed the table (another process, a rolled-back
transaction) shows up in that check and the window is read again in full.

This module does no I/O: the store hands it rows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline import minhash
from pipeline.membership import find_members, sorted_unique


class BandWindow:
    """Article id, story id, day and band keys of the articles of the story window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.article_ids = np.zeros(0, dtype=np.int64)
        self.story_ids = np.zeros(0, dtype=np.int64)
        self.days = np.zeros(0, dtype="datetime64[D]")
        self.keys = np.zeros((0, minhash.BANDS), dtype=np.int64)

    @property
    def newest_id(self) -> int:
        """The highest article id held: rows above it are new."""
        return int(self.article_ids.max()) if len(self.article_ids) else 0

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append (article_id, story_id, day, bands) rows; ``day`` a date or its ISO text."""
        if not rows:
            return
        article_ids, story_ids, days, blobs = zip(*rows, strict=True)
        with self._lock:
            self.article_ids = np.concatenate([self.article_ids, np.array(article_ids, np.int64)])
            self.story_ids = np.concatenate([self.story_ids, np.array(story_ids, np.int64)])
            # numpy reads dates and their ISO text alike.
            self.days = np.concatenate([self.days, np.array(days, dtype="datetime64[D]")])
            self.keys = np.concatenate([self.keys, minhash.unpack_bands([bytes(b) for b in blobs])])

    def replace(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Hold exactly ``rows`` (the whole table, read again)."""
        with self._lock:
            self._clear()
        self.add(rows)

    def forget_before(self, day: dt.date) -> None:
        """Drop the rows of days before ``day``, as the store's pruning deletes them."""
        with self._lock:
            keep = self.days >= np.datetime64(day, "D")
            if keep.all():
                return
            self.article_ids = self.article_ids[keep]
            self.story_ids = self.story_ids[keep]
            self.days = self.days[keep]
            self.keys = self.keys[keep]

    def agrees_with(self, count: int, id_sum: int) -> bool:
        """Whether the table's row count and sum of article ids are those held here."""
        return len(self.article_ids) == count and int(self.article_ids.sum()) == id_sum

    def matches(self, wanted: np.ndarray) -> dict[str, np.ndarray]:
        """The held keys equal to one of ``wanted``: arrays ``key``, ``article_id``,
        ``story_id`` and ``day`` (dates), one entry per matching key of an article."""
        wanted = sorted_unique(np.asarray(wanted, dtype=np.int64))
        with self._lock:
            flat = self.keys.ravel()
            hits, _slots = find_members(flat, wanted)
            rows = hits // minhash.BANDS
            found = flat[hits]
            return {
                "key": found,
                "article_id": self.article_ids[rows],
                "story_id": self.story_ids[rows],
                "day": self.days[rows].astype(object),  # datetime.date, as the store reads them
            }
