"""runs.day: the day a digest run covered, so a restarted daemon never sends a day twice.

Revision ID: 0005
Revises: 0003 (0004 once the collection revision lands)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("day", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("day")
