"""The story index keeps an article's LSH band keys beside its signature, as one 160-byte value;
the unused (source, title key) index of articles goes, and two indexes of articles cover what
storing a chunk reads back.

Until this revision every article of the story window had 20 rows in ``story_keys`` (rule 2),
one per band key, so storing an article meant 21 inserts into that table's key index: the
largest part of the cost of storing. From this revision ``story_signatures.bands`` holds the 20
keys as little-endian int64 values, and the store matches a batch's keys against the window's
bands in memory; ``story_keys`` keeps only the title keys (rule 1).

The band keys are a function of the stored signature, so the upgrade computes them from it
(no text is read) and then drops the rule-2 rows; the downgrade writes the rows back.

``ix_articles_source_title_key`` served title matching before the story index existed
(revision 0003); nothing reads it since, and keeping its long text keys in order was about a
tenth of the cost of storing an article.

After every chunk, coverage is recomputed per (day, source) and the stories it joined are
recounted; both read ``relevant`` and ``story_id``, which in the table come after the long
``text`` column. ``ix_articles_day_source`` and ``ix_articles_story`` are widened with those
columns (and renamed after them), so these reads stay in the indexes.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from sqlalchemy import Connection

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The rule code of band keys in story_keys (pipeline.stages.stories.BAND_RULE before 0009).
BAND_RULE = 2
# Articles per round trip: bounds memory.
BATCH = 5000
# Indexes of articles widened: (name before, name after, columns after).
_WIDENED = (
    (
        "ix_articles_day_source",
        "ix_articles_day_source_relevant_story",
        ["day", "source", "relevant", "story_id"],
    ),
    ("ix_articles_story", "ix_articles_story_source_relevant", ["story_id", "source", "relevant"]),
)


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("story_signatures") as batch:
        batch.add_column(sa.Column("bands", sa.LargeBinary(), nullable=True))
    fill_bands(conn)
    with op.batch_alter_table("story_signatures") as batch:
        batch.alter_column("bands", existing_type=sa.LargeBinary(), nullable=False)
    op.execute(f"DELETE FROM story_keys WHERE rule = {BAND_RULE}")
    op.drop_index("ix_articles_source_title_key", table_name="articles")
    for before, after, columns in _WIDENED:
        op.drop_index(before, table_name="articles")
        op.create_index(after, "articles", columns)


def downgrade() -> None:
    conn = op.get_bind()
    for before, after, columns in _WIDENED:
        op.drop_index(after, table_name="articles")
        op.create_index(before, "articles", columns[: 1 if before == "ix_articles_story" else 2])
    op.create_index("ix_articles_source_title_key", "articles", ["source", "title_key"])
    restore_band_rows(conn)
    with op.batch_alter_table("story_signatures") as batch:
        batch.drop_column("bands")


def fill_bands(conn: Connection) -> int:
    """Set ``bands`` of every story_signatures row from its signature; returns how many."""
    import numpy as np

    from pipeline import minhash

    ids = [row[0] for row in conn.execute(sa.text("SELECT article_id FROM story_signatures"))]
    for start in range(0, len(ids), BATCH):
        rows = conn.execute(
            sa.text(
                "SELECT article_id, signature FROM story_signatures WHERE article_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids[start : start + BATCH]},
        ).all()
        sigs = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype="<u4")
        keys = minhash.band_keys(sigs.reshape(len(rows), minhash.BINS).astype(np.uint32))
        conn.execute(
            sa.text("UPDATE story_signatures SET bands = :bands WHERE article_id = :article"),
            [
                {"article": r[0], "bands": packed}
                for r, packed in zip(rows, minhash.pack_bands(keys), strict=True)
            ],
        )
    return len(ids)


def restore_band_rows(conn: Connection) -> int:
    """Write the rule-2 story_keys rows of every indexed article back; returns how many."""
    from pipeline import minhash

    rows = conn.execute(
        sa.text("SELECT article_id, story_id, day, bands FROM story_signatures")
    ).all()
    keys = minhash.unpack_bands([bytes(r[3]) for r in rows])
    values = [
        {"key": int(key), "rule": BAND_RULE, "article": r[0], "story": r[1], "day": r[2]}
        for r, row in zip(rows, keys, strict=True)
        for key in row.tolist()
    ]
    if values:
        conn.execute(
            sa.text(
                "INSERT INTO story_keys (key, rule, article_id, story_id, day) "
                "VALUES (:key, :rule, :article, :story, :day)"
            ),
            values,
        )
    return len(values)
