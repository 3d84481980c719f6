"""find_members: the bit filter before the sorted search changes no answer."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.membership import FILTER_BITS, find_members


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_find_members_equals_a_plain_membership_test(dtype) -> None:
    rng = np.random.default_rng(3)
    members = np.unique(rng.integers(-(2**62), 2**62, 500).astype(dtype))
    others = rng.integers(-(2**62), 2**62, 20_000).astype(dtype)
    # Values that share their low bits with a member but differ above them pass the filter
    # and must still be rejected.
    shifted = (members.view(np.int64) + (1 << FILTER_BITS)).view(dtype)
    extremes = np.array([0, -1, 2**63 - 1, -(2**63)], dtype=np.int64).view(dtype)
    values = np.concatenate([others, members, shifted, members[::3], extremes])
    rng.shuffle(values)
    positions, slots = find_members(values, members)
    expected = np.flatnonzero(np.isin(values, members))
    assert positions.tolist() == expected.tolist()
    assert (members[slots] == values[positions]).all()
    assert len(positions) == len(members) + len(members[::3]) + np.isin(extremes, members).sum()


def test_find_members_of_nothing() -> None:
    empty = np.zeros(0, dtype=np.int64)
    some = np.array([1, 2, 3], dtype=np.int64)
    for values, members in ((empty, some), (some, empty), (empty, empty)):
        positions, slots = find_members(values, members)
        assert len(positions) == len(slots) == 0
