"""Narrowing a query with the word index never changes its answer: on random documents and
queries, and over articles stored in a real SQLite file and a real PostgreSQL database, the
narrowed search finds exactly what the plain evaluator finds reading every article."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from sqlalchemy import insert

from borderwatch.reports.matches import ArticleMatcher, HeadlineIndex
from pipeline.query import parse_query
from pipeline.schema import articles
from pipeline.store import Store
from pipeline.textnorm import normalize_for_matching
from pipeline.word_index import WordIndex

# Words of the generated headlines: some in most of them, some rare, in three scripts.
_WORDS = (
    ["the", "border", "talks", "trade", "closed", "reopened", "reopening", "crossing", "kabul"]
    + ["pakistan", "afghan", "afghanistan", "torkham", "chaman", "spin", "boldak", "doha"]
    + ["طورخم", "تورخم", "سرحد", "مذاکرات", "کابل", "د", "په"]
)
_OPERANDS = [
    "border", "torkham", "طورخم", "reopen*", "afghan*", "مذاکر*", "missingword", "miss*",
    '"spin boldak"', '"border closed"', '"afgh* talks"', '"the bord* closed"', "source.country:PK",
]  # fmt: skip


def _random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.35:
        return rng.choice(_OPERANDS)
    if roll < 0.45:
        return f"NOT ({_random_query(rng, depth + 1)})"
    if roll < 0.6:
        words = [o for o in _OPERANDS if ":" not in o]
        return f"{rng.choice(words)} NEAR/{rng.randint(1, 4)} ({rng.choice(words)} OR reopen*)"
    operator = rng.choice(["AND", "OR", "", "AND NOT"])
    return f"(({_random_query(rng, depth + 1)}) {operator} ({_random_query(rng, depth + 1)}))"


def _headline(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 9)))


def test_candidates_hold_every_match_and_the_narrowed_answer_is_the_plain_one() -> None:
    rng = random.Random(7)
    documents = [normalize_for_matching(_headline(rng)) for _ in range(400)]
    # Whitespace other than single spaces, which the evaluator's two splittings treat apart.
    documents += ["border\tclosed torkham", "  spin  boldak ", "reopen\u00a0torkham", ""]
    index = WordIndex(documents)
    narrowed_some = 0
    for _ in range(300):
        query = parse_query(_random_query(rng))
        plain = np.array([query.matches(d, True) for d in documents])
        candidates = index.candidates(query.root)
        if candidates is None:
            continue
        narrowed_some += 1
        assert not (plain & ~candidates).any(), query.source  # a superset of the matches
        narrowed = np.zeros(len(documents), dtype=bool)
        narrowed[candidates] = [query.matches(d, True) for d in np.array(documents)[candidates]]
        assert np.array_equal(narrowed, plain), query.source
    assert narrowed_some > 100  # the index did narrow most queries


def test_what_the_index_cannot_narrow_is_every_document() -> None:
    index = WordIndex(["border closed", "talks in doha", ""])
    assert index.candidates(parse_query("NOT border").root) is None
    assert index.candidates(parse_query("border OR NOT doha").root) is None
    assert index.candidates(parse_query("source.country:PK").root) is None
    assert index.candidates(parse_query("border AND NOT doha").root).tolist() == [
        True, False, False,
    ]  # fmt: skip
    assert index.candidates(parse_query('"closed border"').root).tolist() == [True, False, False]
    assert index.candidates(parse_query("do*").root).tolist() == [False, True, False]
    assert index.candidates(parse_query("nothing*").root).tolist() == [False, False, False]


def _store_headlines(store: Store, rng: random.Random, first_id: int, count: int) -> None:
    rows = []
    for n in range(first_id, first_id + count):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 90)
        rows.append(
            {"id": n, "url": f"https://x.example/{n}", "canonical_url": f"https://x.example/{n}",
             "source": rng.choice(["dawn", "tolo"]), "title": _headline(rng),
             "summary": _headline(rng) if n % 3 else None, "text_status": "not_fetched",
             "collected_at": dt.datetime.combine(day, dt.time(8)), "day": day,
             "relevant": n % 2 == 0}
        )  # fmt: skip
    with store.transaction() as conn:
        conn.execute(insert(articles), rows)


def test_narrowed_searches_equal_reading_every_article(db_url: str) -> None:
    """The explorer's search (headline index, narrowed by the word index) against the plain
    evaluator on every article read from the database, whatever the filters; then again after
    new articles joined the index in small batches."""
    rng = random.Random(3)
    store = Store(db_url)
    try:
        store.sync_sources(
            [{"key": "dawn", "name": "Dawn", "country": "PK", "language": "en", "domain": None},
             {"key": "tolo", "name": "Tolo", "country": "AF", "language": "fa", "domain": None}]
        )  # fmt: skip
        _store_headlines(store, rng, 1, 1500)
        index = HeadlineIndex()
        queries = [parse_query(_random_query(rng)) for _ in range(40)]
        queries.append(parse_query('torkham OR "spin boldak" OR (border* NEAR/3 reopen*)'))
        filters = [
            ("all", None, None, None),
            ("topic", ("dawn",), dt.date(2025, 1, 10), dt.date(2025, 2, 20)),
        ]
        for step in range(3):
            if step:
                _store_headlines(store, rng, 1 + 1500 + 7 * (step - 1), 7)
            for query in queries:
                for within, keys, first, last in filters:
                    plain = ArticleMatcher(query, within=within, source_keys=keys)
                    narrowed = ArticleMatcher(
                        query, within=within, source_keys=keys, headlines=index
                    )
                    expected = plain.ids(store, first, last)
                    assert np.array_equal(narrowed.ids(store, first, last), expected), (
                        query.source,
                        within,
                        step,
                    )
                    assert narrowed.searched == plain.searched
        selective = ArticleMatcher(queries[-1], within="all", headlines=index)
        assert selective.ids(store, None, None).size
        # The evaluator read only the candidates: those with a query word.
        assert 0 < selective.evaluated < selective.searched / 2
    finally:
        store.close()


@pytest.mark.parametrize("words", [["a"], []])
def test_an_index_of_tiny_inputs(words: list[str]) -> None:
    index = WordIndex(words)
    found = index.candidates(parse_query("a").root)
    assert found is not None and found.tolist() == [True] * len(words)
