"""ix_articles_collected_source_published: the recent articles of every outlet, without their rows.

Source health (``borderwatch status``, the daemon's health job, the digest, the explorer's
overview) reads the outlet, publication and collection time of every article collected in the
last 90 days. Without an index that is a scan of the whole articles table, whose rows carry the
full text; with this one it reads a slice of the index and no article row.

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ["collected_at", "source", "published_at"]


def upgrade() -> None:
    op.create_index("ix_articles_collected_source_published", "articles", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_articles_collected_source_published", table_name="articles")
