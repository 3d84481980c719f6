"""Stage: relevance by the topic query and tags by the tag queries.

Queries match the title, summary and text together, normalized once per article. Only relevant
articles are tagged.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.query import Query, classify_tokens, query_prefixes
from pipeline.stages.words import ArticleWords, article_words
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


def apply_queries(
    frame: pd.DataFrame,
    topic: Query,
    tags: Mapping[str, Query],
    words: ArticleWords | None = None,
) -> pd.DataFrame:
    """Add ``relevant`` (bool) and ``tags`` (a list of tag names, empty when not relevant).

    ``words``: the articles' hashed words (``words.article_words`` with ``query_prefixes`` of
    these queries), when the caller has them already.
    """
    frame = frame.copy()
    if frame.empty:
        frame["relevant"] = pd.Series(dtype=bool)
        frame["tags"] = pd.Series(dtype=object)
        return frame
    if words is None:
        words = article_words(frame, query_prefixes([topic, *tags.values()]))
    verdicts = classify_tokens(topic, tags, words.tokens)
    names = list(tags)
    matrix = verdicts[names].to_numpy()
    frame["relevant"] = verdicts["relevant"].to_numpy()
    frame["tags"] = [[n for n, hit in zip(names, row, strict=True) if hit] for row in matrix]
    return frame
