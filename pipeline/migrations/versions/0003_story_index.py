"""The near-duplicate story index (story_keys, story_signatures) and an index on articles.url.

Both tables are derived from articles and hold only the story window (see docs/processing.md).
They start empty: articles stored before this revision keep their stories, and articles
collected from now on are compared with each other. ``ix_articles_url`` serves the check for
stored articles by collected URL, which otherwise scans the table.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_url", "articles", ["url"])
    op.create_table(
        "story_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.SmallInteger(), nullable=False),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_index("ix_story_keys_key", "story_keys", ["key"])
    op.create_index("ix_story_keys_day", "story_keys", ["day"])
    op.create_table(
        "story_signatures",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_story_signatures_day", "story_signatures", ["day"])


def downgrade() -> None:
    op.drop_index("ix_story_signatures_day", table_name="story_signatures")
    op.drop_table("story_signatures")
    op.drop_index("ix_story_keys_day", table_name="story_keys")
    op.drop_index("ix_story_keys_key", table_name="story_keys")
    op.drop_table("story_keys")
    op.drop_index("ix_articles_url", table_name="articles")
