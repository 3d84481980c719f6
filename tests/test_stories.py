"""Stories: copies of one report across outlets become one story; different reports stay apart.

The articles are in tests/data/stories/articles.yaml (English, Urdu, Dari and Pashto), written
for these tests; the confusable coverage of tests/data/relevance/articles.yaml is used too.
Everything runs through the real stages and a real database (SQLite, and PostgreSQL when
configured).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sqlalchemy import inspect, text

from borderwatch.plan import processing_rules, source_rows
from pipeline import minhash
from pipeline.process import ProcessingRules, process_items
from pipeline.store import Store
from pipeline.textnorm import normalize_many
from tests.support.config import base_config, make_config

DATA = Path(__file__).parent / "data"
GROUPS = yaml.safe_load((DATA / "stories" / "articles.yaml").read_text(encoding="utf-8"))["groups"]
RELEVANCE = yaml.safe_load((DATA / "relevance" / "articles.yaml").read_text(encoding="utf-8"))
NOW = dt.datetime(2025, 11, 3, 12, 0)

# Outlets whose names appear in headlines ("Khyber Ledger: ...", "... - خیبر پښتون").
OUTLETS = {
    "khyber-ledger": "Khyber Ledger",
    "karachi-khabar": "کراچی خبر",
    "khyber-pukhtun": "خیبر پښتون",
}


def outlet_config(tmp_path: Path) -> dict[str, Any]:
    raw = base_config(tmp_path)
    raw["sources"] = [
        {
            "key": key,
            "name": name,
            "country": "PK",
            "language": "en",
            "domains": [f"{key}.example"],
            "feeds": [f"https://{key}.example/feed"],
        }
        for key, name in OUTLETS.items()
    ]
    return raw


@pytest.fixture
def setup(tmp_path: Path, db_url: str) -> tuple[Store, ProcessingRules]:
    config = make_config(tmp_path, outlet_config(tmp_path))
    store = Store(db_url)
    store.sync_sources(source_rows(config))
    yield store, processing_rules(config)
    store.close()


def article_item(article: dict[str, Any], number: int, hours_ago: float = 0) -> dict[str, Any]:
    source = article["source"]
    published = NOW - dt.timedelta(hours=hours_ago)
    return {
        "url": f"https://{source}.example/news/{number}",
        "title": article["title"],
        "text": "\n\n".join(p.strip() for p in article["paragraphs"]),
        "text_status": "ok",
        "author": article.get("author"),
        "published": published.isoformat() + "Z",
        "collected_at": (published + dt.timedelta(minutes=30)).isoformat() + "Z",
        "source": source,
    }


def all_items() -> list[tuple[str, str, dict[str, Any]]]:
    """(event, 'copy' or 'apart', item) for every test article, each on its own URL."""
    out = []
    number = 0
    for group in GROUPS:
        for kind in ("copies", "apart"):
            for article in group[kind]:
                number += 1
                out.append((group["event"], kind, article_item(article, number, hours_ago=number)))
    return out


def story_of(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT url, story_id FROM articles")).all())


def jaccard(a: str, b: str) -> float:
    def shingles(value: str) -> set[tuple[str, ...]]:
        words = value.split()
        return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}

    x, y = (shingles(v) for v in normalize_many([a, b]))
    return len(x & y) / len(x | y)


def test_the_fixtures_are_hard_enough() -> None:
    """Copies differ enough to need near-duplicate matching; 'apart' reports share facts."""
    items = all_items()
    for event in {e for e, _k, _i in items}:
        copies = [i for e, k, i in items if e == event and k == "copies"]
        apart = [i for e, k, i in items if e == event and k == "apart"]
        first = copies[0]["title"] + " " + copies[0]["text"]
        for other in copies[1:]:
            similarity = jaccard(first, other["title"] + " " + other["text"])
            assert 0.5 <= similarity < 1, (event, other["url"], similarity)
        for other in apart:
            assert jaccard(first, other["title"] + " " + other["text"]) < 0.1


def test_copies_become_one_story_and_other_reports_stay_apart(setup) -> None:
    store, rules = setup
    items = all_items()
    result = process_items([i for _e, _k, i in items], rules, store, now=NOW)
    assert result.new == len(items)
    stories = story_of(store)
    for event in {e for e, _k, _i in items}:
        copies = {stories[i["url"]] for e, k, i in items if e == event and k == "copies"}
        assert len(copies) == 1, f"{event}: copies split over stories {copies}"
        apart = [stories[i["url"]] for e, k, i in items if e == event and k == "apart"]
        assert len(set(apart)) == len(apart) and not copies & set(apart), event
    with store.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM stories")).scalar_one()
        rows = conn.execute(
            text(
                "SELECT s.articles, s.outlets, a.url FROM stories s "
                "JOIN articles a ON a.id = s.lead_article_id WHERE s.articles > 1"
            )
        ).all()
    n_apart = sum(1 for _e, k, _i in items if k == "apart")
    assert count == len(GROUPS) + n_apart
    # The English wire copy ran on four outlets; its lead is the earliest published copy.
    by_size = sorted(rows, reverse=True)
    assert by_size[0][:2] == (4, 4)
    torkham = [i for e, k, i in items if e == "torkham-reopens-en" and k == "copies"]
    earliest = min(torkham, key=lambda i: i["published"])
    assert by_size[0][2] == earliest["url"]


def test_a_copy_collected_in_a_later_run_joins_the_stored_story(setup) -> None:
    store, rules = setup
    group = GROUPS[0]
    first = article_item(group["copies"][0], 1, hours_ago=30)
    process_items([first], rules, store, now=NOW - dt.timedelta(hours=29))
    # Next run, two days later: the rewritten copy and the cut-short copy arrive.
    later = [
        article_item(group["copies"][2], 2, hours_ago=1),
        article_item(group["copies"][3], 3, hours_ago=0.5),
    ]
    process_items(later, rules, store, now=NOW)
    stories = story_of(store)
    assert len(set(stories.values())) == 1
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT articles, outlets, first_seen_at, lead_article_id FROM stories")
        ).one()
        first_id = conn.execute(
            text("SELECT id FROM articles WHERE url = :u"), {"u": first["url"]}
        ).scalar_one()
    assert (row[0], row[1], row[3]) == (3, 3, first_id)
    assert str(row[2]).startswith("2025-11-02")  # when the first copy was collected


def test_a_copy_outside_the_story_window_starts_a_new_story(setup) -> None:
    store, rules = setup
    group = GROUPS[0]
    old = article_item(group["copies"][0], 1, hours_ago=24 * 20)
    process_items([old], rules, store, now=NOW - dt.timedelta(days=20))
    process_items([article_item(group["copies"][1], 2)], rules, store, now=NOW)
    assert len(set(story_of(store).values())) == 2


def test_same_outlet_same_title_within_seven_days_is_one_story(setup) -> None:
    store, rules = setup
    base = {
        "source": "khyber-ledger",
        "paragraphs": ["Officials said the crossing would stay open for cargo this week."],
    }
    first = {**base, "title": "Torkham crossing to stay open this week"}
    # The same headline with the outlet's name added, and an updated text: one story.
    updated = {
        **base,
        "title": "Khyber Ledger: Torkham Crossing To Stay Open This Week",
        "paragraphs": ["Updated: the crossing stays open; pedestrians may cross from Tuesday."],
    }
    # Eight days later the same headline over a new report: a story of its own.
    weeks_later = {
        **base,
        "title": "Torkham crossing to stay open this week - Khyber Ledger",
        "paragraphs": ["Traders asked for longer opening hours as exports picked up again."],
    }
    process_items([article_item(first, 1, hours_ago=48)], rules, store, now=NOW)
    process_items([article_item(updated, 2, hours_ago=1)], rules, store, now=NOW)
    process_items(
        [article_item(weeks_later, 3, hours_ago=-24 * 8)],
        rules,
        store,
        now=NOW + dt.timedelta(days=9),
    )
    stories = story_of(store)
    assert (
        stories["https://khyber-ledger.example/news/1"]
        == stories["https://khyber-ledger.example/news/2"]
    )
    assert (
        stories["https://khyber-ledger.example/news/3"]
        != stories["https://khyber-ledger.example/news/1"]
    )
    # Another outlet's own report under the same headline is not matched by the title rule.
    other = {
        **first,
        "source": "frontier-herald",
        "paragraphs": ["Border police in Khyber said extra staff had been posted at the gate."],
    }
    process_items([article_item(other, 4, hours_ago=2)], rules, store, now=NOW)
    assert story_of(store)["https://frontier-herald.example/news/4"] not in {
        stories["https://khyber-ledger.example/news/1"]
    }


def test_confusable_coverage_is_rejected_and_stays_apart(setup) -> None:
    """Off-topic look-alikes in four languages: not relevant, and no story of their own merged
    with the on-topic reports of the same week."""
    store, rules = setup
    items = []
    expected = {}
    for kind in ("on_topic", "off_topic"):
        for number, article in enumerate(RELEVANCE[kind]):
            url = f"https://{kind.replace('_', '-')}.example/{article['id']}"
            items.append(
                {
                    "url": url,
                    "title": article["title"],
                    "text": article["text"],
                    "published": (NOW - dt.timedelta(hours=number)).isoformat() + "Z",
                    "source": f"{article['id'].split('-')[0]}-outlet",
                }
            )
            expected[url] = kind == "on_topic"
    languages = {a["id"].split("-")[0] for a in RELEVANCE["off_topic"]}
    assert {"en", "ur", "fa", "ps"} <= languages
    process_items(items, rules, store, now=NOW)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT url, relevant, story_id FROM articles")).all()
    wrong = [url for url, relevant, _s in rows if bool(relevant) != expected[url]]
    assert not wrong
    # Each is its own report: none may be folded into another's story.
    assert len({story for _u, _r, story in rows}) == len(rows)


def test_daily_coverage_counts_distinct_stories(setup) -> None:
    store, rules = setup
    items = [i for e, _k, i in all_items() if e == "torkham-reopens-en"]
    process_items(items, rules, store, now=NOW)
    with store.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*), count(DISTINCT story_id) FROM articles WHERE relevant")
        ).one()
        counted = conn.execute(
            text("SELECT sum(articles), sum(stories) FROM daily_coverage WHERE tag = '*'")
        ).one()
        per_source = conn.execute(
            text("SELECT count(*) FROM daily_coverage WHERE tag = '*' AND stories > articles")
        ).scalar_one()
    assert stored[0] == len(items) and stored[1] == 3
    assert counted[0] == len(items)
    assert per_source == 0
    # Summed over outlets a story counts once per outlet that ran it: 4 + 1 + 1.
    assert counted[1] == 6


def test_signatures_estimate_jaccard_similarity() -> None:
    """The vectorized MinHash agrees with the exact Jaccard similarity of word 4-shingles."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(5000)]
    base = [vocab[i] for i in rng.integers(0, len(vocab), 350)]
    pairs = []
    for keep in (1.0, 0.8, 0.6, 0.4, 0.2):
        cut = int(len(base) * keep)
        other = base[:cut] + [vocab[i] for i in rng.integers(0, len(vocab), len(base) - cut)]
        pairs.append((" ".join(base), " ".join(other)))
    sigs, sizes = minhash.signatures([d for pair in pairs for d in pair])
    assert sizes.tolist()[:2] == [347, 347]
    for n, (a, b) in enumerate(pairs):
        exact = jaccard(a, b)
        estimate = minhash.similarity(sigs[2 * n], sigs[2 * n + 1 : 2 * n + 2])[0]
        assert abs(estimate - exact) < 0.15, (exact, estimate)
    # An empty document has no signature worth comparing, and short ones are one shingle.
    sigs, sizes = minhash.signatures(["", "two words", "two words"])
    assert sizes.tolist() == [0, 1, 1]
    assert minhash.similarity(sigs[1], sigs[2:3])[0] == 1.0
    assert (minhash.band_keys(sigs[1:2]) == minhash.band_keys(sigs[2:3])).all()


def test_hashes_are_stable_across_processes() -> None:
    """Signatures are stored and compared with later runs: they must not depend on the process."""
    import subprocess
    import sys

    code = (
        "from pipeline import minhash;"
        "s, _ = minhash.signatures(['the border crossing at torkham reopened on monday']);"
        "print(minhash.band_keys(s)[0].tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PYTHONPATH": str(DATA.parents[1])},
        ).stdout
        for seed in (1, 2)
    }
    assert len(outputs) == 1


def _index(store: Store) -> dict[int, tuple[int, bytes, frozenset[int]]]:
    """Article id -> (shingles, signature, band keys) of the story index, whichever table the
    band keys are in (story_signatures.bands from revision 0009, story_keys rule 2 before)."""
    with store.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("story_signatures")}
        rows = conn.execute(text("SELECT article_id, shingles, signature FROM story_signatures"))
        index = {a: (n, bytes(blob), frozenset()) for a, n, blob in rows}
        if "bands" in columns:
            for a, blob in conn.execute(text("SELECT article_id, bands FROM story_signatures")):
                n, signature, _ = index[a]
                index[a] = (n, signature, frozenset(minhash.unpack_bands([bytes(blob)])[0]))
        else:
            for a, key in conn.execute(
                text("SELECT article_id, key FROM story_keys WHERE rule = 2")
            ):
                n, signature, bands = index[a]
                index[a] = (n, signature, bands | {key})
    return index


def _band_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM story_keys WHERE rule = 2")).scalar_one()


def _split_items() -> tuple[list[dict], dict, list[dict]]:
    """The quality items without some copies of one event, the first copy of that event, and
    the copies left out (to be collected later)."""
    items = all_items()
    first_copy = next(i for _e, k, i in items if k == "copies")
    later_copies = [
        i for e, k, i in items if k == "copies" and e == items[0][0] and i is not first_copy
    ]
    stored = [i for _e, _k, i in items if i not in later_copies]
    return stored, first_copy, later_copies


def test_revision_0008_recomputes_the_story_index_of_stored_articles(setup) -> None:
    """A database whose index holds signatures of the old word hashes gets them recomputed, and
    a copy collected after the upgrade still joins the story collected before it."""
    from pipeline import migrations

    store, rules = setup
    stored, first_copy, later_copies = _split_items()
    process_items(stored, rules, store, now=NOW)
    expected = _index(store)
    assert expected and all(bands for _n, _sig, bands in expected.values())

    # What revision 0007 left: band keys as story_keys rows (as revision 0009's downgrade
    # writes them back), from signatures of other word hashes.
    migrations.downgrade(store.engine, "0008")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE story_signatures SET signature = :blob"), {"blob": b"\1" * 512})
        conn.execute(text("UPDATE story_keys SET key = key + 1 WHERE rule = 2"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    assert _index(store) != expected

    migrations.upgrade(store.engine)
    assert _index(store) == expected
    process_items(later_copies, rules, store, now=NOW)
    stories = story_of(store)
    assert {stories[i["url"]] for i in [first_copy, *later_copies]} == {stories[first_copy["url"]]}


def test_revision_0009_moves_band_keys_beside_the_signatures(setup) -> None:
    """Revision 0009 turns the 20 story_keys rows of an article's bands into one value beside
    its signature, and its downgrade writes the rows back: the index is the same either way,
    and a copy collected after the upgrade joins the story collected before it."""
    from pipeline import migrations

    store, rules = setup
    stored, first_copy, later_copies = _split_items()
    process_items(stored, rules, store, now=NOW)
    expected = _index(store)
    assert _band_rows(store) == 0

    migrations.downgrade(store.engine, "0008")
    assert _index(store) == expected
    assert _band_rows(store) == minhash.BANDS * len(expected)

    migrations.upgrade(store.engine)
    assert _index(store) == expected
    assert _band_rows(store) == 0
    process_items(later_copies, rules, store, now=NOW)
    stories = story_of(store)
    assert {stories[i["url"]] for i in [first_copy, *later_copies]} == {stories[first_copy["url"]]}


def test_fingerprints_from_shared_words_equal_signatures_of_the_text() -> None:
    """The pipeline fingerprints the words it hashed for the queries; the result must equal
    hashing title + text (or title + summary) afresh, cut to the first MAX_WORDS words."""
    import pandas as pd

    from pipeline.stages.relevance import add_normalized_text
    from pipeline.stages.stories import fingerprint

    rng = np.random.default_rng(4)
    vocab = [f"w{i}" for i in range(300)] + ["طورخم", "سرحد", "border"]
    rows = []
    for n in range(60):
        words = lambda k: " ".join(vocab[i] for i in rng.integers(0, len(vocab), k))  # noqa: E731
        rows.append(
            {
                "title": words(int(rng.integers(0, 12))) if n % 7 else "",
                "summary": words(int(rng.integers(0, 40))) if n % 5 else None,
                "text": words(int(rng.integers(0, 700))) if n % 3 else None,
                "source": "khyber-ledger",
                "title_key": None,
            }
        )
    frame = add_normalized_text(pd.DataFrame(rows))
    documents = [
        " ".join(p for p in (title, text or summary) if p)
        for title, summary, text in zip(
            frame["norm_title"], frame["norm_summary"], frame["norm_text"], strict=True
        )
    ]
    sigs, sizes = minhash.signatures(documents)
    fingerprinted = fingerprint(frame)
    assert fingerprinted["shingles"].tolist() == sizes.tolist()
    assert fingerprinted["signature"].tolist() == [row.tobytes() for row in sigs]
    assert max(sizes) == minhash.MAX_WORDS - minhash.SHINGLE_WORDS + 1
