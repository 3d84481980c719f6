"""Story signatures from the vectorized word hashes: rebuild the near-duplicate index.

From this revision, words are hashed by ``pipeline.tokens`` (polynomial hashes over all words of
a chunk at once) instead of one blake2b digest per distinct word, so MinHash signatures and band
keys computed before it do not compare with new ones. The articles of the story window get
their signatures and band keys recomputed from their stored title, summary and text; no table
changes.

This revision uses the current fingerprint code on purpose: the index it rebuilds must equal
what the running code computes.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alembic import op
from sqlalchemy import bindparam, delete, select, update

from pipeline.schema import articles, story_keys, story_signatures

if TYPE_CHECKING:
    from sqlalchemy import Connection

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    refingerprint(op.get_bind())


def downgrade() -> None:
    # Older code would compare its signatures with these and find no near-duplicates across
    # the downgrade for one story window; emptying the index is the honest equivalent.
    op.execute("DELETE FROM story_keys WHERE rule = 2")
    op.execute("DELETE FROM story_signatures")


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
    # Imported here: every command opening the database loads this revision's file, and only
    # an upgrade needs the stages.
    import pandas as pd

    from pipeline import minhash
    from pipeline.stages.relevance import add_normalized_text
    from pipeline.stages.stories import fingerprint
    from pipeline.story_index import BAND_RULE

    rows = conn.execute(
        select(
            articles.c.id,
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
    frame = pd.DataFrame(rows, columns=["id", "title", "summary", "text", "story_id", "day"])
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
            fingerprinted["bands"],
            strict=True,
        )
        if bands is not None
        for key in minhash.unpack_bands([bands])[0].tolist()
    ]
    if keys:
        conn.execute(story_keys.insert(), keys)
