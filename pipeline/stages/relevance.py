"""Stage: relevance by the topic query and tags by the tag queries.

Queries match the title, summary and text together, normalized once per article. Only relevant
articles are tagged.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.query import Query, classify
from pipeline.textnorm import normalize_series


def matching_text(frame: pd.DataFrame) -> pd.Series:
    """The normalized text every query sees: title, summary and text of each article."""
    combined = (
        frame["title"].fillna("")
        + " \n "
        + frame["summary"].fillna("")
        + " \n "
        + frame["text"].fillna("")
    )
    return normalize_series(combined.astype(object))


def apply_queries(frame: pd.DataFrame, topic: Query, tags: Mapping[str, Query]) -> pd.DataFrame:
    """Add ``relevant`` (bool) and ``tags`` (a list of tag names, empty when not relevant)."""
    frame = frame.copy()
    if frame.empty:
        frame["relevant"] = pd.Series(dtype=bool)
        frame["tags"] = pd.Series(dtype=object)
        return frame
    verdicts = classify(topic, tags, matching_text(frame), normalized=True)
    names = list(tags)
    matrix = verdicts[names].to_numpy()
    frame["relevant"] = verdicts["relevant"].to_numpy()
    frame["tags"] = [[n for n, hit in zip(names, row, strict=True) if hit] for row in matrix]
    return frame
