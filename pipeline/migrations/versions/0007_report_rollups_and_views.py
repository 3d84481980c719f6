"""Report rollups, views and covering indexes.

weekly_coverage, weekly_volume, monthly_coverage and monthly_volume sum the daily coverage
tables per ISO week (its Monday) and month (its first day); they are filled here from the daily
tables and kept in step by pipeline/coverage.py. The views coverage_by_source and
volume_by_source join the daily tables to sources and add ``week`` and ``month``; the indexes
let a trend of one tag over a few sources read indexes only. docs/schema.md documents them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WEEK = {
    "sqlite": "date({day}, 'weekday 0', '-6 days')",
    "postgresql": "CAST(date_trunc('week', {day}) AS DATE)",
}
_MONTH = {
    "sqlite": "date({day}, 'start of month')",
    "postgresql": "CAST(date_trunc('month', {day}) AS DATE)",
}


def _rollup_tables() -> None:
    for period in ("week", "month"):
        op.create_table(
            f"{period}ly_coverage",
            sa.Column(period, sa.Date(), nullable=False),
            sa.Column("source", sa.String(length=200), nullable=False),
            sa.Column("tag", sa.String(length=64), nullable=False),
            sa.Column("articles", sa.Integer(), nullable=False),
            sa.Column("stories", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("tag", "source", period),
            sqlite_with_rowid=False,
        )
        op.create_table(
            f"{period}ly_volume",
            sa.Column(period, sa.Date(), nullable=False),
            sa.Column("source", sa.String(length=200), nullable=False),
            sa.Column("articles", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("source", period),
            sqlite_with_rowid=False,
        )


def _fill_rollups(dialect: str) -> None:
    for period, expression in (("week", _WEEK[dialect]), ("month", _MONTH[dialect])):
        start = expression.format(day="day")
        op.execute(
            f"INSERT INTO {period}ly_coverage ({period}, source, tag, articles, stories) "
            f"SELECT {start}, source, tag, SUM(articles), SUM(stories) FROM daily_coverage "
            f"GROUP BY {start}, source, tag"
        )
        op.execute(
            f"INSERT INTO {period}ly_volume ({period}, source, articles) "
            f"SELECT {start}, source, SUM(articles) FROM daily_volume GROUP BY {start}, source"
        )


def upgrade() -> None:
    _rollup_tables()
    op.create_index(
        "ix_daily_coverage_tag_source_day",
        "daily_coverage",
        ["tag", "source", "day", "articles", "stories"],
    )
    op.create_index(
        "ix_daily_volume_source_day_articles", "daily_volume", ["source", "day", "articles"]
    )
    dialect = op.get_bind().dialect.name
    if dialect not in _WEEK:
        return
    _fill_rollups(dialect)
    week, month = _WEEK[dialect], _MONTH[dialect]
    op.execute(
        "CREATE VIEW coverage_by_source AS SELECT c.day AS day, "
        f"{week.format(day='c.day')} AS week, {month.format(day='c.day')} AS month, "
        "c.source AS source, s.name AS source_name, s.country AS country, "
        "s.language AS language, c.tag AS tag, c.articles AS articles, c.stories AS stories "
        "FROM daily_coverage c JOIN sources s ON s.key = c.source"
    )
    op.execute(
        "CREATE VIEW volume_by_source AS SELECT v.day AS day, "
        f"{week.format(day='v.day')} AS week, {month.format(day='v.day')} AS month, "
        "v.source AS source, s.name AS source_name, s.country AS country, "
        "s.language AS language, v.articles AS articles "
        "FROM daily_volume v JOIN sources s ON s.key = v.source"
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS volume_by_source")
    op.execute("DROP VIEW IF EXISTS coverage_by_source")
    op.drop_index("ix_daily_volume_source_day_articles", table_name="daily_volume")
    op.drop_index("ix_daily_coverage_tag_source_day", table_name="daily_coverage")
    for name in ("monthly_volume", "monthly_coverage", "weekly_volume", "weekly_coverage"):
        op.drop_table(name)
