"""Assertions about a stored database shared by the persistence tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from pipeline.store import Store


def coverage_rows(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every row of daily_coverage and daily_volume, sorted, with days as strings."""
    with store.engine.connect() as conn:
        cov = conn.execute(
            text("SELECT day, source, tag, articles, stories FROM daily_coverage")
        ).all()
        vol = conn.execute(text("SELECT day, source, articles FROM daily_volume")).all()
    return (
        sorted((str(r[0]), *r[1:]) for r in cov),
        sorted((str(r[0]), *r[1:]) for r in vol),
    )


def assert_coverage_equals_rebuild(store: Store) -> None:
    """The incrementally kept coverage tables equal a full rebuild from articles, row for row."""
    before = coverage_rows(store)
    store.rebuild_coverage()
    after = coverage_rows(store)
    assert before[0] == after[0], "daily_coverage drifted from its articles"
    assert before[1] == after[1], "daily_volume drifted from its articles"


def assert_stories_consistent(store: Store) -> None:
    """Every story's counts match its articles; no story is left without articles."""
    with store.engine.connect() as conn:
        wrong = conn.execute(
            text(
                "SELECT s.id, s.articles, COUNT(a.id) FROM stories s "
                "LEFT JOIN articles a ON a.story_id = s.id "
                "GROUP BY s.id, s.articles HAVING COUNT(a.id) <> s.articles OR COUNT(a.id) = 0"
            )
        ).all()
        orphans = conn.execute(
            text("SELECT COUNT(*) FROM articles WHERE story_id IS NULL")
        ).scalar_one()
    assert not wrong, f"stories whose counts do not match their articles: {wrong[:5]}"
    assert orphans == 0
