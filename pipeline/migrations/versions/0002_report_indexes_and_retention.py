"""Indexes for the report queries by source, and articles.text_pruned_at for text retention.

Queries by day use the primary keys and ix_articles_day_source, queries by tag use
ix_daily_coverage_tag_day and ix_article_tags_tag (all from 0001); reports of one outlet over a
range of days need (source, day) indexes. ``text_pruned_at`` records when retention removed an
article's text, so a missing text is never mistaken for one that was not collected.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_source_day", "articles", ["source", "day"])
    op.create_index("ix_daily_coverage_source_day", "daily_coverage", ["source", "day"])
    op.create_index("ix_daily_volume_source_day", "daily_volume", ["source", "day"])
    op.add_column("articles", sa.Column("text_pruned_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by copying the table (batch mode).
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("text_pruned_at")
    op.drop_index("ix_daily_volume_source_day", table_name="daily_volume")
    op.drop_index("ix_daily_coverage_source_day", table_name="daily_coverage")
    op.drop_index("ix_articles_source_day", table_name="articles")
