"""Recompute the stored near-duplicate index (story_signatures, band keys) from the articles.

The index holds MinHash signatures and LSH band keys of the articles of the story window (see
``pipeline.stages.stories``). When the way they are computed changes, the stored ones no longer
compare with new ones: a migration calls ``refingerprint`` so that the articles of the window
get the signatures and band keys the running code computes. Title keys (rule 1) do not change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, bindparam, delete, select, update

from pipeline.schema import articles, story_keys, story_signatures
from pipeline.stages.relevance import add_normalized_text
from pipeline.stages.stories import BAND_RULE, fingerprint

# Articles per round trip: bounds memory (their texts are read).
BATCH = 1000


def refingerprint(conn: Connection) -> int:
    """Recompute signatures, shingle counts and band keys of every indexed article.

    Returns how many articles were re-indexed. Runs inside the caller's transaction.
    """
    ids = [row[0] for row in conn.execute(select(story_signatures.c.article_id))]
    for start in range(0, len(ids), BATCH):
        _refingerprint_batch(conn, ids[start : start + BATCH])
    return len(ids)


def _refingerprint_batch(conn: Connection, ids: list[int]) -> None:
    rows = conn.execute(
        select(
            articles.c.id,
            articles.c.source,
            articles.c.title,
            articles.c.summary,
            articles.c.text,
            story_signatures.c.story_id,
            story_signatures.c.day,
        )
        .join(story_signatures, story_signatures.c.article_id == articles.c.id)
        .where(articles.c.id.in_(ids))
    ).all()
    if not rows:
        return
    frame = pd.DataFrame(
        rows, columns=["id", "source", "title", "summary", "text", "story_id", "day"]
    )
    frame["title_key"] = None  # title keys are not part of what is recomputed
    fingerprinted = fingerprint(add_normalized_text(frame))
    conn.execute(
        update(story_signatures)
        .where(story_signatures.c.article_id == bindparam("article"))
        .values(shingles=bindparam("n_shingles"), signature=bindparam("blob")),
        [
            {"article": int(a), "n_shingles": int(n), "blob": blob}
            for a, n, blob in zip(
                fingerprinted["id"],
                fingerprinted["shingles"],
                fingerprinted["signature"],
                strict=True,
            )
        ],
    )
    conn.execute(
        delete(story_keys).where(story_keys.c.rule == BAND_RULE, story_keys.c.article_id.in_(ids))
    )
    keys: list[dict[str, Any]] = [
        {"key": int(key), "rule": BAND_RULE, "article_id": int(a), "story_id": int(s), "day": d}
        for a, s, d, bands in zip(
            fingerprinted["id"],
            fingerprinted["story_id"],
            fingerprinted["day"],
            fingerprinted["band_keys"],
            strict=True,
        )
        if bands is not None
        for key in bands.tolist()
    ]
    if keys:
        conn.execute(story_keys.insert(), keys)
