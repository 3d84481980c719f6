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

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pipeline.story_index import refingerprint

    refingerprint(op.get_bind())


def downgrade() -> None:
    # Older code would compare its signatures with these and find no near-duplicates across
    # the downgrade for one story window; emptying the index is the honest equivalent.
    op.execute("DELETE FROM story_keys WHERE rule = 2")
    op.execute("DELETE FROM story_signatures")
