"""Indexes that answer the explorer's and the reports' article queries without article rows.

- ``ix_articles_collected_source_published``: source health (``borderwatch status``, the
  daemon's health job, the digest, the explorer's overview) reads the outlet, publication and
  collection time of every article collected in the last 90 days. Without an index that is a
  scan of the whole articles table, whose rows carry the full text.
- ``ix_articles_source_day`` widened to ``ix_articles_source_day_relevant_story_id`` (source,
  day, relevant, story_id, id): the relevant articles of some outlets over a period, their
  stories and their tags (the explorer's country and outlet filters over years) are read from
  the index alone; before, every article row of the period was visited to test ``relevant``.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

RECENT = ("ix_articles_collected_source_published", ["collected_at", "source", "published_at"])
NARROW = ("ix_articles_source_day", ["source", "day"])
WIDE = ("ix_articles_source_day_relevant_story_id", ["source", "day", "relevant", "story_id", "id"])


def upgrade() -> None:
    op.create_index(RECENT[0], "articles", RECENT[1])
    op.drop_index(NARROW[0], table_name="articles")
    op.create_index(WIDE[0], "articles", WIDE[1])


def downgrade() -> None:
    op.drop_index(WIDE[0], table_name="articles")
    op.create_index(NARROW[0], "articles", NARROW[1])
    op.drop_index(RECENT[0], table_name="articles")
