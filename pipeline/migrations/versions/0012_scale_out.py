"""Scale-out: leases on feed_state, the workers' heartbeats, and batches staged in the database.

``feed_state`` gains ``lease_owner``, ``lease_token`` and ``lease_expires_at``: a planner that
sends a target to a worker leases it; the worker writes the target's outcome only while the
token still matches, and an expired lease makes the target due again. ``crawl_workers`` holds
one row per ``borderwatch worker`` process with its last heartbeat. ``staged_batches`` is the
staging area that workers on other machines can reach: publishing a batch is one committed
INSERT, and processing deletes the row in the transaction that records the batch stored.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_state") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(200), nullable=True))
        batch.add_column(sa.Column("lease_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
    op.create_table(
        "crawl_workers",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("shard", sa.Text(), nullable=True),
        sa.Column("shards_done", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "staged_batches",
        sa.Column("batch_id", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id"),
    )


def downgrade() -> None:
    op.drop_table("staged_batches")
    op.drop_table("crawl_workers")
    with op.batch_alter_table("feed_state") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_token")
        batch.drop_column("lease_owner")
