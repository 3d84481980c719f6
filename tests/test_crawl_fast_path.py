"""The lxml fast path for plain RSS 2.0 / Atom 1.0 reads documents exactly as feedparser does.

For every document the fast path accepts (feedparser's robustness corpus, the project's feed
fixtures, generated news feeds of realistic size), parse_feed's result with the fast path must
equal its result through feedparser, item for item and field for field.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.kinds.rss import _parse
from crawler.kinds.rss_fast import read_plain_feed
from tests.test_feed_corpus import corpus_files

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 11, 1, tzinfo=UTC)


def both_ways(body: bytes, headers: dict[str, str] | None = None, kind: str = "rss"):
    options = dict(
        url="http://127.0.0.1:8097/feed",
        source="s",
        headers=headers,
        kind=kind,
        now=NOW,
        keep_without_url=True,
    )
    slow = _parse(body, fast=False, **options)
    fast = _parse(body, fast=True, **options)
    return slow, fast


def same(slow, fast) -> bool:
    fields = ("items", "is_feed", "error", "title", "ttl_seconds", "entries", "dropped")
    return all(getattr(slow, f) == getattr(fast, f) for f in fields)


def test_fast_path_agrees_with_feedparser_on_the_corpus() -> None:
    accepted, disagreements = 0, []
    for path in corpus_files():
        if path.suffix != ".xml":
            continue
        body = path.read_bytes()
        if read_plain_feed(body, {}) is None:
            continue
        accepted += 1
        slow, fast = both_ways(body)
        if not same(slow, fast):
            disagreements.append(path.name)
    assert not disagreements, disagreements[:20]
    # The fast path must be doing real work, not refusing everything.
    assert accepted > 500


def realistic_documents() -> list[bytes]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_feed_parsing import realistic_feeds

    return realistic_feeds(5)


def fixture_documents() -> list[tuple[str, bytes]]:
    folders = [REPO / "tests" / "data" / "feeds", REPO / "tests" / "data" / "pages" / "kinds"]
    return [(p.name, p.read_bytes()) for d in folders for p in sorted(d.iterdir())]


def test_fast_path_agrees_on_realistic_feeds_and_fixtures() -> None:
    documents = [("realistic", b) for b in realistic_documents()] + fixture_documents()
    accepted = 0
    for name, body in documents:
        for kind in ("rss", "gnews"):
            if read_plain_feed(body, {}) is None:
                continue
            accepted += 1
            slow, fast = both_ways(body.replace(b"{BASE}", b"http://127.0.0.1:8097"), kind=kind)
            assert same(slow, fast), name
    assert accepted >= 10


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-type": "application/rss+xml; charset=windows-1256"}, b'<rss version="2.0"/>'),
        ({"content-language": "ur"}, b'<rss version="2.0"/>'),
        ({}, b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"/>'),
        ({}, b'<!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"/>'),
        ({}, b'<rss version="2.0" xml:base="/x/"><channel/></rss>'),
        ({}, b'<rss version="0.91"><channel/></rss>'),
        ({}, b'<rss version="2.0"><channel><item><title>x</title></channel></rss>'),
        ({}, b'<rss version="2.0"><channel><item><m:x xmlns:m="m"/></item></channel></rss>'),
        ({}, b'<rss version="2.0"><channel><item><title>&lt;b&gt;</title></item></channel></rss>'),
    ],
)
def test_unusual_documents_go_to_feedparser(headers: dict[str, str], body: bytes) -> None:
    assert read_plain_feed(body, headers) is None
