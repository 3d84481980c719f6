"""Incremental and idempotent processing: only new items are processed, a repeated input changes
nothing, and the story index holds the window only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from borderwatch.plan import processing_rules
from pipeline import minhash
from pipeline.process import ProcessingRules, process_items
from pipeline.store import Store
from pipeline.story_index import BAND_RULE, TITLE_RULE
from tests.support.config import base_config, make_config
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
        bands = conn.execute(text("SELECT article_id, bands FROM story_signatures")).all()
    # The stored article is untouched; the copies joined its story.
    assert [tuple(r[:2]) for r in rows[:1]] == [tuple(r) for r in stored_before]
    copies = {i["url"] for i in items[:4]}
    assert {r[1] for r in rows if r[2] in copies} == {stored_before[0][1]}
    # Every article is in the index once: its title key in story_keys, its signature and its
    # band keys in story_signatures.
    assert sorted(n for _a, n in keys_per_article) == [1] * len(items)
    assert len(bands) == len(items)
    assert {len(blob) for _a, blob in bands} == {8 * minhash.BANDS}


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


def test_the_index_lookup_returns_only_matching_keys(setup) -> None:
    """Title keys come from story_keys, band keys from the bands of story_signatures; either
    way the index holds the stored keys equal to the asked ones, with the signatures of the
    articles their band keys name."""
    store, rules = setup
    items = wire_items()
    process_items(items, rules, store, now=NOW)
    with store.engine.connect() as conn:
        title_key = conn.execute(text("SELECT key FROM story_keys LIMIT 1")).scalar_one()
        stored = conn.execute(text("SELECT article_id, story_id, bands FROM story_signatures"))
        stored = [(a, s, minhash.unpack_bands([bytes(b)])[0].tolist()) for a, s, b in stored]
    band_key = stored[0][2][0]
    having_band = {(a, s) for a, s, bands in stored if band_key in bands}
    unknown = 12345
    index = store.recent_story_index([title_key, unknown], [band_key, unknown])
    keys = index.keys
    title_rows = keys[keys["rule"] == TITLE_RULE]
    band_rows = keys[keys["rule"] == BAND_RULE]
    assert set(title_rows["key"]) == {title_key}
    assert set(band_rows["key"]) == {band_key}
    assert set(zip(band_rows["article_id"], band_rows["story_id"], strict=True)) == having_band
    assert len(keys) < len(items) * (minhash.BANDS + 1)
    assert set(index.signatures["article_id"]) == set(band_rows["article_id"])
    assert list(keys["key"]) == sorted(keys["key"])
    assert store.recent_story_index([unknown], [unknown]).keys.empty


def test_a_worker_process_gives_the_same_result(tmp_path: Path) -> None:
    """process_staging with the analysis in a worker process stores exactly what it stores
    without one, chunk by chunk, and a second pass over the same files adds nothing.

    The worker analyzes before exact duplicates are dropped (the storing process does that),
    the sequential path after: so chunks hold copies of one URL to choose from.
    """
    from borderwatch.ingest import process_staging, staging_for
    from crawler.staging import StagingArea

    rules = processing_rules(make_config(tmp_path, base_config(tmp_path)))
    others = [article for group in GROUPS[1:] for article in group["copies"] + group["apart"]]
    items = wire_items() + [
        article_item(article, 100 + n, hours_ago=n) for n, article in enumerate(others)
    ]
    # Chunks of three: a tracked copy with less text beside its original, and a copy with
    # more text (so the one kept) after a first one with less.
    shorter = {**items[4], "url": items[4]["url"] + "?utm_source=feed", "text": "Too short."}
    richer = {**items[9], "text": items[9]["text"] + "\n\nA closing paragraph was added."}
    items[9] = {**items[9], "url": items[9]["url"] + "#top", "text": items[9]["text"][:200]}
    items[5:5] = [shorter]
    items[11:11] = [richer]
    distinct = len(items) - 2
    results = {}
    for mode in ("sequential", "worker"):
        store = Store(f"sqlite:///{tmp_path / mode / 'db.sqlite'}")
        staging = staging_for(store, StagingArea(tmp_path / mode / "staging"))
        for part in (items[:7], items[7:]):
            with staging.writer("test") as writer:
                for item in part:
                    writer.write(item)
        first = process_staging(staging, store, rules, chunk_items=3, parallel=(mode == "worker"))
        assert (first.new, staging.batches()) == (distinct, [])
        with store.engine.connect() as conn:
            results[mode] = (
                conn.execute(
                    text(
                        "SELECT id, url, canonical_url, title_key, content_hash, story_id,"
                        " relevant, language, length(text) FROM articles ORDER BY id"
                    )
                ).all(),
                conn.execute(
                    text("SELECT id, articles, outlets, lead_article_id FROM stories ORDER BY id")
                ).all(),
            )
        store.close()
    assert results["worker"] == results["sequential"]
    assert len(results["worker"][1]) < len(items)  # copies were grouped across chunks
    stored = {row.url: row for row in results["worker"][0]}
    assert shorter["url"] not in stored and items[4]["url"] in stored
    assert stored[richer["url"]][-1] == len(richer["text"])
