"""The bundled sample news site, served for real on 127.0.0.1 and read over HTTP."""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import re
import socket
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import feedparser
import pytest
from lxml import html as lxml_html

from borderwatch.demo.sample_site import SampleSite, demo_sources, serve_sample_site
from tests.support.config import SITE_NOW

SUBJECTS = {"talks", "ceasefire", "security", "border", "trade", "refugees"}
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
PASHTO_LETTERS = re.compile(r"[ټډړږښګڼېۍ]")


def jaccard(first: str, second: str, size: int = 4) -> float:
    def shingles(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"\w+", text.lower())
        return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}

    a, b = shingles(first), shingles(second)
    return len(a & b) / len(a | b)


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def site() -> SampleSite:
    return SampleSite.build(SITE_NOW)


def test_every_feed_and_every_linked_article_is_served(sample_site: Any) -> None:
    linked = []
    for outlet, urls in sample_site.feed_urls().items():
        for url in urls:
            status, headers, body = fetch(url)
            assert status == 200, url
            assert "charset=utf-8" in headers["Content-Type"]
            parsed = feedparser.parse(body)
            if outlet == "frontier-herald":
                continue
            assert not parsed.bozo, (url, parsed.get("bozo_exception"))
            assert parsed.feed.title
            expected = {sample_site.url(a.path) for a in sample_site.site.articles_of(outlet)}
            links = {entry.link for entry in parsed.entries}
            assert links == expected
            for entry in parsed.entries:
                assert entry.title and entry.id and entry.summary
                assert entry.published_parsed is not None
            linked.extend(links)
    assert len(linked) == len(sample_site.site.articles)
    for url in linked:
        status, headers, body = fetch(url)
        assert status == 200, url
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"{BASE}" not in body
        assert sample_site.base_url.encode() in body


def test_feed_kinds_rss_and_atom(sample_site: Any) -> None:
    versions = {}
    for outlet, urls in sample_site.feed_urls().items():
        versions[outlet] = feedparser.parse(fetch(urls[0])[2]).version
    assert versions["khyber-ledger"] == "rss20"
    assert versions["meridian-post"] == "rss20"
    assert versions["kabul-dispatch"] == "atom10"
    assert versions["spin-ghar"] == "atom10"


def test_broken_feed_is_malformed_but_served(sample_site: Any) -> None:
    (url,) = sample_site.feed_urls()["frontier-herald"]
    status, _, body = fetch(url)
    assert status == 200
    parsed = feedparser.parse(body)
    assert parsed.bozo
    assert not any(entry.get("link") for entry in parsed.entries)
    assert not body.rstrip().endswith(b"</rss>")


def test_article_pages_carry_metadata_and_boilerplate(sample_site: Any) -> None:
    for article in sample_site.site.articles:
        url = sample_site.url(article.path)
        tree = lxml_html.fromstring(fetch(url)[2])
        assert tree.get("lang") == article.language
        assert article.title in tree.findtext(".//title")
        assert tree.xpath('string(//meta[@name="author"]/@content)') == article.author
        published = tree.xpath('string(//meta[@property="article:published_time"]/@content)')
        assert dt.datetime.fromisoformat(published) == article.published
        assert published[-6] in "+-"  # ISO 8601 with an explicit offset
        assert tree.xpath('string(//link[@rel="canonical"]/@href)') == url
        assert tree.xpath("string(//article//h1)") == article.title
        assert len(tree.xpath("//article//p")) >= 4
        # Boilerplate an extractor has to strip.
        assert tree.xpath("//nav//a")
        assert tree.xpath('//aside[@class="related"]//li')
        assert tree.xpath("//footer//address")
        assert tree.xpath("//footer//form")
        assert tree.xpath('//section[@class="comments"]')


def test_updated_article_keeps_its_original_date(sample_site: Any) -> None:
    updated = [a for a in sample_site.site.articles if a.modified]
    assert updated
    article = updated[0]
    assert article.modified > article.published
    feed = feedparser.parse(fetch(sample_site.feed_urls()[article.outlet][0])[2])
    (entry,) = [e for e in feed.entries if e.link == sample_site.url(article.path)]
    assert entry.updated_parsed > entry.published_parsed
    tree = lxml_html.fromstring(fetch(sample_site.url(article.path))[2])
    modified = tree.xpath('string(//meta[@property="article:modified_time"]/@content)')
    assert dt.datetime.fromisoformat(modified) == article.modified


def test_volume_dates_and_languages(site: SampleSite) -> None:
    articles = site.articles
    assert len(articles) >= 40
    assert len({a.path for a in articles}) == len(articles)
    for a in articles:
        assert a.published.tzinfo is not None
        assert SITE_NOW - dt.timedelta(days=6) < a.published < SITE_NOW
        assert a.published.date() == (SITE_NOW - dt.timedelta(days=a.days_ago)).date()
    days = Counter(a.days_ago for a in articles)
    assert set(days) == set(range(6))
    assert days[0] >= 4
    languages = Counter(a.language for a in articles)
    assert languages["ur"] >= 2 and languages["ps"] >= 2
    for a in articles:
        text = " ".join(a.paragraphs)
        words = len(text.split())
        if a.language == "en":
            assert 150 <= words <= 300, (a.path, words)
        else:
            assert 80 <= words <= 160, (a.path, words)
            assert len(ARABIC_SCRIPT.findall(text)) > len(text) / 2
            if a.language == "ps":
                assert PASHTO_LETTERS.search(text), a.path


def test_wire_story_on_three_outlets(site: SampleSite) -> None:
    stories: dict[str, list[Any]] = {}
    for a in site.articles:
        if a.story:
            stories.setdefault(a.story, []).append(a)
    assert stories
    copies = max(stories.values(), key=len)
    assert len({a.outlet for a in copies}) >= 3
    assert len({a.title for a in copies}) == len(copies)
    assert len({a.path for a in copies}) == len(copies)
    # Same agency text, so most paragraphs are shared; the first and last differ.
    shared = set(copies[0].paragraphs).intersection(*(set(a.paragraphs) for a in copies[1:]))
    assert len(shared) >= 4
    assert len({a.paragraphs[0] for a in copies}) == len(copies)
    assert len({a.author for a in copies}) == len(copies)
    # Near-duplicates by word shingles: the copies well above 0.5, any other pair far below.
    for a, b in itertools.combinations(site.articles, 2):
        similarity = jaccard(" ".join(a.paragraphs), " ".join(b.paragraphs))
        if a in copies and b in copies:
            assert similarity >= 0.55, (a.path, b.path, similarity)
        else:
            assert similarity < 0.1, (a.path, b.path, similarity)


def test_off_topic_items_and_subjects(site: SampleSite) -> None:
    off = [a for a in site.articles if not a.on_topic]
    on = [a for a in site.articles if a.on_topic]
    assert 8 <= len(off) <= 10
    assert len(on) > 2 * len(off)
    assert all(not a.subjects for a in off)
    assert all(a.subjects and set(a.subjects) <= SUBJECTS for a in on)
    assert {s for a in on for s in a.subjects} == SUBJECTS
    assert all(a.story is None for a in off)


def test_conditional_get_and_head(sample_site: Any) -> None:
    url = sample_site.feed_urls()["khyber-ledger"][0]
    status, headers, body = fetch(url)
    assert status == 200
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert etag and last_modified
    assert fetch(url, headers={"If-None-Match": etag})[0] == 304
    assert fetch(url, headers={"If-None-Match": '"other"'})[0] == 200
    assert fetch(url, headers={"If-Modified-Since": last_modified})[0] == 304
    earlier = email.utils.parsedate_to_datetime(last_modified) - dt.timedelta(hours=1)
    earlier_text = email.utils.format_datetime(earlier, usegmt=True)
    assert fetch(url, headers={"If-Modified-Since": earlier_text})[0] == 200
    status, headers, head_body = fetch(url, method="HEAD")
    assert status == 200 and head_body == b""
    assert int(headers["Content-Length"]) == len(body)
    assert headers["ETag"] == etag


def test_robots_404_and_request_log(sample_site: Any) -> None:
    status, headers, body = fetch(sample_site.url("/robots.txt"))
    assert status == 200 and b"Allow: /" in body
    assert headers["Content-Type"].startswith("text/plain")
    assert fetch(sample_site.url("/no/such/page"))[0] == 404
    fetch(sample_site.url("/khyber-ledger/feed.xml?utm=1"), method="HEAD")
    log = list(sample_site.request_log)
    assert ("GET", "/robots.txt") in log
    assert ("GET", "/no/such/page") in log
    assert ("HEAD", "/khyber-ledger/feed.xml") in log


def test_counts_are_stable_for_a_fixed_now(site: SampleSite) -> None:
    again = SampleSite.build(SITE_NOW)
    assert again.documents == site.documents
    later = SampleSite.build(SITE_NOW + dt.timedelta(days=3, minutes=7))
    assert len(later.articles) == len(site.articles)
    assert set(later.documents) == set(site.documents)
    shifted = {a.path: a.published for a in later.articles}
    for a in site.articles:
        assert shifted[a.path] - a.published == dt.timedelta(days=3, minutes=7)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        SampleSite.build(dt.datetime(2025, 10, 27, 12, 0))


def test_demo_sources_match_the_served_feeds(sample_site: Any) -> None:
    sources = demo_sources(sample_site.base_url)
    assert {s["key"] for s in sources} == set(sample_site.feed_urls())
    for source in sources:
        assert set(source) == {"key", "name", "country", "language", "domains", "feeds"}
        assert source["feeds"] == sample_site.feed_urls()[source["key"]]
        assert all(f.startswith(sample_site.base_url + "/") for f in source["feeds"])
    assert len(sources) >= 4
    assert "frontier-herald" in {s["key"] for s in sources}


def test_server_shuts_down_cleanly() -> None:
    with serve_sample_site(now=SITE_NOW) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        assert fetch(server.url("/robots.txt"))[0] == 200
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=1):
        pass
