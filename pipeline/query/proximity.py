"""NEAR on word spans: the one piece of matching both evaluators share."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TypeAlias

Spans: TypeAlias = list[tuple[int, int]]


def near_spans(left: Spans, right: Spans, distance: int, first: bool = False) -> Spans:
    """Spans covering a left and a right span at most `distance` positions apart.

    The two spans must not overlap (a word is not near itself). With `first`, stop at the
    first pair found: callers that only need a yes/no answer save the rest of the work.
    """
    if not left or not right:
        return []
    # Only right spans starting in a window around each left span can be near it; sorting
    # and bisecting keeps frequent words (or short wildcards) from costing |left| x |right|.
    right = sorted(right)
    starts = [start for start, _ in right]
    longest = max(end - start for start, end in right)
    found = []
    for a_start, a_end in left:
        lo = bisect_left(starts, a_start - distance - longest)
        hi = bisect_right(starts, a_end + distance)
        for b_start, b_end in right[lo:hi]:
            if a_end < b_start:
                gap = b_start - a_end
            elif b_end < a_start:
                gap = a_start - b_end
            else:
                continue
            if gap <= distance:
                found.append((min(a_start, b_start), max(a_end, b_end)))
                if first:
                    return found
    return found
