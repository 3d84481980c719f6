"""Incremental and idempotent processing: only new items are processed, a repeated input changes
nothing, and the story index holds the window only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from borderwatch.rules import processing_rules
from pipeline.process import ProcessingRules, process_items
from pipeline.stages.stories import BAND_RULE
from pipeline.store import Store
from tests.conftest import base_config, make_config
from tests.test_stories import GROUPS, article_item

TABLES = (
    "articles",
    "stories",
    "article_tags",
    "story_keys",
    "story_signatures",
    "daily_coverage",
    "daily_volume",
    "sources",
)
NOW = dt.datetime(2025, 11, 3, 12, 0)


@pytest.fixture
def setup(tmp_path: Path, db_url: str) -> tuple[Store, ProcessingRules]:
    store = Store(db_url)
    yield store, processing_rules(make_config(tmp_path, base_config(tmp_path)))
    store.close()


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {
            table: sorted(
                (tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}"))), key=repr
            )
            for table in TABLES
        }


def wire_items() -> list[dict[str, Any]]:
    return [
        article_item(article, number, hours_ago=number)
        for number, article in enumerate(GROUPS[0]["copies"] + GROUPS[0]["apart"], start=1)
    ]


def test_the_same_input_twice_changes_nothing(setup) -> None:
    store, rules = setup
    items = wire_items()
    first = process_items(items, rules, store, now=NOW)
    before = snapshot(store)
    again = process_items(items, rules, store, now=NOW + dt.timedelta(hours=1))
    assert (first.new, again.new, again.skipped) == (len(items), 0, len(items))
    assert snapshot(store) == before
    # The same URLs with other tracking parameters are the same articles too.
    tracked = [{**i, "url": i["url"] + "?utm_source=twitter&fbclid=1"} for i in items]
    assert process_items(tracked, rules, store, now=NOW).new == 0
    assert snapshot(store) == before


def test_a_repeated_batch_is_skipped_whole(setup) -> None:
    store, rules = setup
    items = wire_items()
    process_items(items[:2], rules, store, batch_id="b1", chunk=0, now=NOW)
    before = snapshot(store)
    result = process_items(items, rules, store, batch_id="b1", chunk=0, now=NOW)
    assert (result.new, result.skipped) == (0, len(items))
    assert snapshot(store) == before


def test_a_run_processes_only_its_new_items(setup) -> None:
    store, rules = setup
    items = wire_items()
    process_items(items[:1], rules, store, now=NOW)
    with store.engine.connect() as conn:
        stored_before = conn.execute(text("SELECT id, story_id FROM articles")).all()
    result = process_items(items, rules, store, now=NOW)
    assert result.new == len(items) - 1
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, story_id, url FROM articles ORDER BY id")).all()
        keys_per_article = conn.execute(
            text("SELECT article_id, count(*) FROM story_keys GROUP BY article_id")
        ).all()
    # The stored article is untouched; the copies joined its story.
    assert [tuple(r[:2]) for r in rows[:1]] == [tuple(r) for r in stored_before]
    copies = {i["url"] for i in items[:4]}
    assert {r[1] for r in rows if r[2] in copies} == {stored_before[0][1]}
    # Every article is in the index once: its bands and its title key.
    assert len(keys_per_article) == len(items)


def test_the_story_index_keeps_only_the_window(setup) -> None:
    store, rules = setup
    base = GROUPS[0]["copies"][0]
    days = 40
    for day in range(days):
        when = NOW + dt.timedelta(days=day)
        article = {**base, "title": f"{base['title']} day {day}", "source": f"outlet-{day}"}
        item = article_item(article, day, hours_ago=0)
        item["published"] = when.isoformat() + "Z"
        item["collected_at"] = when.isoformat() + "Z"
        process_items([item], rules, store, now=when)
    with store.engine.connect() as conn:
        oldest_key, keyed = conn.execute(
            text("SELECT min(day), count(DISTINCT article_id) FROM story_keys")
        ).one()
        signed = conn.execute(text("SELECT count(*) FROM story_signatures")).scalar_one()
        stories = conn.execute(text("SELECT count(*) FROM stories")).scalar_one()
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
    newest = (NOW + dt.timedelta(days=days - 1)).date()
    assert articles == days
    # The same text every day: consecutive days chain into one story, which the window keeps
    # alive (each article is compared with the index, not with the whole history).
    assert stories == 1
    assert keyed == signed == rules.index_days + 2
    assert str(oldest_key) >= str(newest - dt.timedelta(days=rules.index_days + 1))


def test_the_index_lookup_reads_only_matching_keys(setup) -> None:
    store, rules = setup
    items = wire_items()
    process_items(items, rules, store, now=NOW)
    with store.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM story_keys")).scalar_one()
        one = conn.execute(
            text("SELECT key FROM story_keys WHERE rule = :r LIMIT 1"), {"r": BAND_RULE}
        ).scalar_one()
    index = store.recent_story_index([one, 12345])
    assert 1 <= len(index.keys) < total
    assert set(index.keys["key"]) == {one}
    assert set(index.signatures["article_id"]) == set(index.keys["article_id"])


def test_a_worker_process_gives_the_same_result(tmp_path: Path) -> None:
    """process_staging with the analysis in a worker process stores exactly what it stores
    without one, chunk by chunk, and a second pass over the same files adds nothing."""
    from borderwatch.ingest import process_staging
    from crawler.staging import StagingArea

    rules = processing_rules(make_config(tmp_path, base_config(tmp_path)))
    others = [article for group in GROUPS[1:] for article in group["copies"] + group["apart"]]
    items = wire_items() + [
        article_item(article, 100 + n, hours_ago=n) for n, article in enumerate(others)
    ]
    results = {}
    for mode in ("sequential", "worker"):
        staging = StagingArea(tmp_path / mode / "staging")
        for part in (items[:7], items[7:]):
            with staging.writer("test") as writer:
                for item in part:
                    writer.write(item)
        store = Store(f"sqlite:///{tmp_path / mode / 'db.sqlite'}")
        first = process_staging(staging, store, rules, chunk_items=3, parallel=(mode == "worker"))
        assert (first.new, staging.batches()) == (len(items), [])
        with store.engine.connect() as conn:
            results[mode] = (
                conn.execute(
                    text("SELECT id, url, story_id, relevant, language FROM articles ORDER BY id")
                ).all(),
                conn.execute(
                    text("SELECT id, articles, outlets, lead_article_id FROM stories ORDER BY id")
                ).all(),
            )
        store.close()
    assert results["worker"] == results["sequential"]
    assert len(results["worker"][1]) < len(items)  # copies were grouped across chunks
