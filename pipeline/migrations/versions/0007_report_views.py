"""Report views and covering indexes: coverage_by_source, volume_by_source.

The views join the coverage tables to sources and add ``week`` and ``month`` columns; the
indexes let a trend of one tag over a few sources read indexes only. docs/schema.md documents
both.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

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
    "sqlite": "strftime('%Y-%m', {day})",
    "postgresql": "to_char({day}, 'YYYY-MM')",
}


def upgrade() -> None:
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
