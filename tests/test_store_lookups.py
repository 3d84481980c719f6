"""The store's driver-level statements give what the plain SQLAlchemy statements give.

The hot lookups and writes of the store path bypass SQLAlchemy (one JSON list parameter per
lookup, DB-API executemany on SQLite, COPY on PostgreSQL); these tests compare their results
with SQLAlchemy queries over the same rows, on every configured back end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Integer, func, select, text

from borderwatch.plan import processing_rules
from pipeline import minhash
from pipeline.process import ProcessingRules, process_items
from pipeline.schema import article_tags, articles, stories, story_keys, story_signatures
from pipeline.store import Store
from pipeline.story_index import BAND_RULE, TITLE_RULE
from tests.support.config import base_config, make_config
from tests.test_stories import all_items

NOW = dt.datetime(2025, 11, 3, 12, 0)
# URLs that a JSON or SQL literal could get wrong: quotes, backslashes, non-ASCII, a comma.
AWKWARD_URLS = [
    'https://a.example/news/"quoted"',
    "https://a.example/news/it's",
    "https://a.example/news/back\\slash",
    "https://a.example/news/خبر/۱۲",
    "https://a.example/news/a,b{c}",
]


@pytest.fixture
def setup(tmp_path: Path, db_url: str) -> tuple[Store, ProcessingRules]:
    store = Store(db_url)
    yield store, processing_rules(make_config(tmp_path, base_config(tmp_path)))
    store.close()


def stored(store: Store, rules: ProcessingRules) -> list[dict]:
    items = [item for _event, _kind, item in all_items()]
    for number, url in enumerate(AWKWARD_URLS):
        items[number] = {**items[number], "url": url}
    process_items(items, rules, store, now=NOW)
    return items


def test_stored_urls_equals_an_in_list_query(setup) -> None:
    store, rules = setup
    items = stored(store, rules)
    with store.engine.connect() as conn:
        canonical = [r[0] for r in conn.execute(select(articles.c.canonical_url))]
    asked = [i["url"] for i in items] + canonical + ["https://nowhere.example/x", 'x"y', ""]
    with store.engine.connect() as conn:
        expected = {
            r[0] for r in conn.execute(select(articles.c.url).where(articles.c.url.in_(asked)))
        }
        expected |= {
            r[0]
            for r in conn.execute(
                select(articles.c.canonical_url).where(articles.c.canonical_url.in_(asked))
            )
        }
    assert set(AWKWARD_URLS) <= expected
    assert store.stored_urls(asked) == expected
    assert store.stored_urls(iter(asked)) == expected
    assert store.stored_urls([]) == set()
    # The same items again: all stored, nothing added.
    assert process_items(items, rules, store, now=NOW).new == 0


def test_recent_story_index_equals_plain_queries(setup) -> None:
    """Title keys as an IN-list query over story_keys finds them; band keys as decoding every
    stored bands value in Python finds them; signatures as an IN-list query."""
    store, rules = setup
    stored(store, rules)
    edges = [12345, -(2**63), 2**63 - 1]
    with store.engine.connect() as conn:
        titles = sorted({r[0] for r in conn.execute(select(story_keys.c.key))})
        asked_titles = titles[::2] + edges
        columns = [
            story_keys.c.key,
            story_keys.c.rule,
            story_keys.c.article_id,
            story_keys.c.story_id,
            story_keys.c.day,
        ]
        rows = [
            tuple(r)
            for r in conn.execute(select(*columns).where(story_keys.c.key.in_(asked_titles)))
        ]
        window = conn.execute(
            select(
                story_signatures.c.article_id,
                story_signatures.c.story_id,
                story_signatures.c.day,
                story_signatures.c.bands,
            )
        ).all()
        bands = {r[0]: minhash.unpack_bands([r[3]])[0].tolist() for r in window}
        every_band = sorted({key for keys in bands.values() for key in keys})
        asked_bands = every_band[::3] + edges
        rows += [
            (key, BAND_RULE, article_id, story_id, day)
            for article_id, story_id, day, _blob in window
            for key in bands[article_id]
            if key in asked_bands
        ]
        rows.sort(key=lambda row: (row[0], row[2]))
        expected = pd.DataFrame(rows, columns=["key", "rule", "article_id", "story_id", "day"])
        band_articles = {row[2] for row in rows if row[1] == BAND_RULE}
        signatures = pd.DataFrame(
            [
                tuple(r)
                for r in conn.execute(
                    select(story_signatures.c.article_id, story_signatures.c.signature)
                    .where(story_signatures.c.article_id.in_(band_articles))
                    .order_by(story_signatures.c.article_id)
                )
            ],
            columns=["article_id", "signature"],
        )
    index = store.recent_story_index(asked_titles, np.array(asked_bands, dtype=np.int64))
    assert {TITLE_RULE, BAND_RULE} <= set(expected["rule"])
    pd.testing.assert_frame_equal(index.keys, expected)
    pd.testing.assert_frame_equal(index.signatures, signatures)
    assert all(isinstance(day, dt.date) for day in index.keys["day"])
    empty = store.recent_story_index([], [])
    assert list(empty.keys.columns) == ["key", "rule", "article_id", "story_id", "day"]
    assert empty.keys.empty and empty.signatures.empty


def _every_band_key(store: Store) -> np.ndarray:
    with store.engine.connect() as conn:
        blobs = [bytes(r[0]) for r in conn.execute(select(story_signatures.c.bands))]
    return np.unique(minhash.unpack_bands(blobs))


def test_the_kept_band_window_follows_changes_made_elsewhere(setup, db_url: str) -> None:
    """A store keeps the window's band keys between batches; what it finds equals what a new
    store reads from the table, after another store added articles, after rows were deleted
    elsewhere, and after its own pruning was not committed."""
    store, rules = setup
    items = [item for _event, _kind, item in all_items()]
    half = len(items) // 2

    def agree() -> int:
        asked = _every_band_key(store)
        fresh = Store(db_url)
        try:
            expected = fresh.recent_story_index([], asked)
        finally:
            fresh.close()
        kept = store.recent_story_index([], asked)
        pd.testing.assert_frame_equal(kept.keys, expected.keys)
        pd.testing.assert_frame_equal(kept.signatures, expected.signatures)
        return kept.keys["article_id"].nunique()

    process_items(items[:half], rules, store, now=NOW)
    first = agree()
    assert first > 0
    other = Store(db_url)
    process_items(items[half:], rules, other, now=NOW)
    other.close()
    grown = agree()
    assert grown > first
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM story_signatures WHERE article_id = "
                "(SELECT min(article_id) FROM story_signatures)"
            )
        )
    assert agree() == grown - 1
    store._band_window.forget_before(dt.date(2100, 1, 1))  # as if a prune rolled back
    assert agree() == grown - 1


def test_stored_values_read_back_as_sqlalchemy_types(setup) -> None:
    """Rows written at driver level read back through SQLAlchemy as the values it would have
    written: datetimes, dates, booleans; story counts and leads agree with the articles."""
    store, rules = setup
    items = stored(store, rules)
    with store.engine.connect() as conn:
        story_rows = {r.id: r for r in conn.execute(select(stories))}
        article_rows = list(conn.execute(select(articles)))
        counts = {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                select(
                    articles.c.story_id,
                    func.count(),
                    func.count(articles.c.source.distinct()),
                    func.max(articles.c.relevant.cast(Integer)),
                    func.min(articles.c.collected_at),
                ).group_by(articles.c.story_id)
            )
        }
        tagged = conn.execute(select(func.count()).select_from(article_tags)).scalar_one()
        key_days = {r[0] for r in conn.execute(select(story_keys.c.day))}
    assert len(article_rows) == len(items)
    assert tagged > 0
    assert all(isinstance(day, dt.date) for day in key_days)
    by_id = {a.id: a for a in article_rows}
    for story_id, (n_articles, n_outlets, any_relevant, first_seen) in counts.items():
        story = story_rows[story_id]
        assert (story.articles, story.outlets) == (n_articles, n_outlets)
        assert story.relevant is bool(any_relevant)
        assert isinstance(story.first_seen_at, dt.datetime)
        assert isinstance(story.updated_at, dt.datetime)
        assert isinstance(story.day, dt.date) and not isinstance(story.day, dt.datetime)
        assert story.first_seen_at == first_seen
        lead = by_id[story.lead_article_id]
        assert lead.story_id == story_id
        assert story.day == lead.day
    for article in article_rows:
        assert isinstance(article.collected_at, dt.datetime)
        assert isinstance(article.relevant, bool)
