"""The quarantine of items a back end refused, and the database's own identity.

``quarantine`` holds an item that a database would not store (so that the rest of its chunk is
stored and processing goes on) with the batch and line it came from and the database's message.
``database_info`` holds the random identity that staged batches record, so that a batch is
stored only into the database it was collected for.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("batch_id", sa.String(200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "line"),
    )
    op.create_table(
        "database_info",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("database_info")
    op.drop_table("quarantine")
