"""Stage: relevance by the topic query and tags by the tag queries.

Queries match the title, summary and text together, normalized once per article. Only relevant
articles are tagged.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.query import Query, classify
from pipeline.textnorm import normalize_many

NORMALIZED_COLUMNS = {"title": "norm_title", "summary": "norm_summary", "text": "norm_text"}


def add_normalized_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``norm_title``, ``norm_summary`` and ``norm_text``: each field normalized once.

    Both the queries and the story fingerprints read these, so no text is normalized twice.
    """
    frame = frame.copy()
    for column, target in NORMALIZED_COLUMNS.items():
        frame[target] = normalize_many(frame[column].tolist())
    return frame


def matching_text(frame: pd.DataFrame) -> pd.Series:
    """The normalized text every query sees: title, summary and text of each article."""
    if "norm_title" not in frame.columns:
        frame = add_normalized_text(frame)
    # Normalization turns the separators between fields into one space, so joining the
    # normalized fields equals normalizing the joined fields.
    joined = [
        " ".join(part for part in parts if part)
        for parts in zip(
            frame["norm_title"], frame["norm_summary"], frame["norm_text"], strict=True
        )
    ]
    return pd.Series(joined, index=frame.index, dtype=object)


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
