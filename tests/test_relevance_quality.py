"""The default topic and tag queries in config.yaml, checked against hand-written articles.

Articles live in tests/data/relevance/articles.yaml (English, Urdu, Dari and Pashto): on-topic
coverage of the Afghanistan-Pakistan border talks with the tags a reader would give them, and
confusable coverage (India-Pakistan LoC talks, Russia-Ukraine talks in Istanbul, Gaza talks,
cricket, earthquakes, domestic news, deportations from Iran) that must be rejected. They come
from no configured outlet, so the topic's clauses about Pakistani and Afghan press do not
apply to them. The larger labelled set with figures is tests/test_accuracy.py's.
After editing a query in config.yaml run:
    .venv/bin/python -m pytest tests/test_relevance_quality.py tests/test_accuracy.py
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from borderwatch.config import load_config
from borderwatch.plan import processing_rules
from pipeline.process import ProcessingRules
from pipeline.query import Query, classify

ROOT = Path(__file__).parents[1]
ARTICLES = yaml.safe_load(
    (ROOT / "tests" / "data" / "relevance" / "articles.yaml").read_text(encoding="utf-8")
)
FIXED_TAGS = ["talks", "ceasefire", "security", "border", "trade", "refugees"]
LANGUAGES = ("en", "ur", "fa", "ps")


@cache
def rules() -> ProcessingRules:
    return processing_rules(load_config(ROOT / "config.yaml"))


@cache
def topic() -> Query:
    return rules().topic


@cache
def tags() -> dict[str, Query]:
    return dict(rules().tags)


def article_text(article: dict[str, str]) -> str:
    return f"{article['title']}\n{article['text']}"


def ids(articles: list[dict[str, Any]]) -> list[str]:
    return [article["id"] for article in articles]


def test_config_queries_parse_and_fixed_tags_come_first() -> None:
    assert len(topic().named_clauses()) >= 1
    assert list(tags())[: len(FIXED_TAGS)] == FIXED_TAGS
    assert set(ARTICLES["checked_tags"]) <= set(tags())
    assert topic().terms() and all(query.terms() for query in tags().values())


def test_fixture_covers_four_languages() -> None:
    on_topic = Counter(article["id"][:2] for article in ARTICLES["on_topic"])
    off_topic = Counter(article["id"][:2] for article in ARTICLES["off_topic"])
    assert sum(on_topic.values()) >= 25 and sum(off_topic.values()) >= 20
    assert set(on_topic) == set(off_topic) == set(LANGUAGES)
    assert len(set(ids(ARTICLES["on_topic"] + ARTICLES["off_topic"]))) == sum(
        on_topic.values()
    ) + sum(off_topic.values())


@pytest.mark.parametrize("article", ARTICLES["on_topic"], ids=ids(ARTICLES["on_topic"]))
def test_on_topic_article_is_relevant_with_expected_tags(article: dict[str, Any]) -> None:
    text = article_text(article)
    assert topic().matches(text), "not found relevant by the topic query"
    checked = ARTICLES["checked_tags"]
    found = [name for name in checked if tags()[name].matches(text)]
    assert sorted(found) == sorted(article["tags"])


@pytest.mark.parametrize("article", ARTICLES["off_topic"], ids=ids(ARTICLES["off_topic"]))
def test_confusable_article_is_rejected(article: dict[str, Any]) -> None:
    assert not topic().matches(article_text(article)), f"should be rejected: {article['why']}"


def test_batch_classification_agrees_with_single_matching() -> None:
    articles = ARTICLES["on_topic"] + ARTICLES["off_topic"]
    frame = classify(topic(), tags(), [article_text(a) for a in articles])
    assert frame["relevant"].tolist() == [a in ARTICLES["on_topic"] for a in articles]
    for row, article in zip(frame.itertuples(index=False), articles, strict=True):
        found = {name for name in ARTICLES["checked_tags"] if getattr(row, name)}
        assert found == set(article.get("tags", []))
