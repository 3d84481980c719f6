"""articles.relevance_reason: why a relevant article counted (the topic clause that matched).

Articles stored before this revision keep NULL: the reason depends on the topic query in force
when they were processed, which the database does not record.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("relevance_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("relevance_reason")
