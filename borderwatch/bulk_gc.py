"""Python's cyclic garbage collector tuned for bulk processing.

Storing a chunk allocates hundreds of thousands of small containers (lists, dicts, the rows of
executemany) that die young and form no cycles. With the default thresholds the collector runs
a young-generation pass every 700 allocations and, every so often, a full pass over every object
of the process (imported modules, the language model's tables, the queries): about a tenth of
the CPU time of ingesting. Freezing what exists before the work (``gc.freeze``) takes it out of
every later pass, and a higher first threshold makes the passes rarer; cycles are still
collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between young-generation passes, then passes between older ones (the defaults
#: are 700, 10, 10).
BULK_THRESHOLDS = (100_000, 50, 1000)


def tune_for_bulk_work() -> None:
    """For a process that only processes chunks from now on (the ingest worker)."""
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)


@contextmanager
def bulk_collection() -> Iterator[None]:
    """``tune_for_bulk_work`` for the time of a block; the previous settings are restored
    after it, and the objects frozen for it are collectable again."""
    previous = gc.get_threshold()
    tune_for_bulk_work()
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
