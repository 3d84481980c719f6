"""The collector settings for bulk processing are applied for the block and restored after."""

from __future__ import annotations

import gc

from borderwatch.bulk_gc import BULK_THRESHOLDS, bulk_collection


def test_bulk_collection_applies_and_restores_the_settings() -> None:
    before = gc.get_threshold()
    with bulk_collection():
        assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_during_bulk_work_are_still_collected() -> None:
    class Node:
        pass

    with bulk_collection():
        first, second = Node(), Node()
        first.other, second.other = second, first
        del first, second
        assert gc.collect() >= 2
