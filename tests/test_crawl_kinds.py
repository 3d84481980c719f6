"""Every kind of source, configured in config.yaml alone, collected from a local server.

One collection run against 127.0.0.1 reads RSS 0.91, 0.92, 1.0 (RDF) and 2.0 feeds, Atom 0.3
and 1.0 feeds, a Google News search feed, a news sitemap behind a sitemap index, and a plain
site whose listing pages are paginated; then the stored articles are checked kind by kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from borderwatch.collect import collect
from pipeline.schema import articles, feed_state
from pipeline.store import Store
from tests.support.config import base_config, make_config
from tests.support.fault_server import article_html, serve_pages

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"


def _page(title: str, published: str | None = "2025-10-26T10:00:00+00:00") -> tuple[str, str]:
    body = article_html(title, published or "", "Desk")
    if published is None:
        body = body.replace('<meta property="article:published_time" content="">\n', "")
    return HTML, body


# Feed, search feed and sitemap documents; "{BASE}" becomes the server's base URL.
KINDS = Path(__file__).parent / "data" / "pages" / "kinds"
FEEDS: dict[str, str] = {
    f"/{path.name}": path.read_text(encoding="utf-8") for path in sorted(KINDS.iterdir())
}


def _listing(page: int, last: int) -> str:
    links = "".join(
        f'<li><a href="/section/2025/story-{page}-{n}.html">Read more</a></li>' for n in (1, 2)
    )
    more = f'<a class="next" href="/section/?page={page + 1}">Older</a>' if page < last else ""
    return (
        f"<html><body><nav><a href='/about.html'>About</a></nav><ul>{links}</ul>{more}"
        "</body></html>"
    )


def site_pages() -> dict[str, tuple[str, str | bytes]]:
    pages: dict[str, tuple[str, str | bytes]] = {p: (XML, body) for p, body in FEEDS.items()}
    for name in ("rss091", "rss092", "rss10", "rss20", "atom03", "atom10", "sitemap-dated"):
        pages[f"/a/{name}.html"] = _page(f"Page of {name}")
    pages["/a/sitemap-undated.html"] = _page("Page without a date", published=None)
    pages["/a/future.html"] = _page("Story stamped in the future", "2031-01-01T00:00:00+00:00")
    pages["/section/"] = (HTML, _listing(1, 3))
    for page in (2, 3):
        pages[f"/section/?page={page}"] = (HTML, _listing(page, 3))
    for page in (1, 2, 3):
        for n in (1, 2):
            pages[f"/section/2025/story-{page}-{n}.html"] = _page(f"Listed story {page}-{n}")
    # A listed story whose only date is the one written in its byline.
    content_type, body = _page("Listed story 2-2", published=None)
    pages["/section/2025/story-2-2.html"] = (
        content_type,
        body.replace('class="byline">By Desk<', 'class="byline">By Desk · 24 October 2025<'),
    )
    pages["/robots.txt"] = ("text/plain", "User-agent: *\nAllow: /\n")
    return pages


def configured_sources(base: str) -> list[dict[str, Any]]:
    def source(key: str, feeds: list[Any], **extra: Any) -> dict[str, Any]:
        return {"key": key, "name": key.title(), "country": "PK", "language": "en",
                "feeds": feeds, **extra}  # fmt: skip

    return [
        source("feeds", [f"{base}{p}" for p in FEEDS if p.startswith(("/rss", "/atom"))]),
        source(
            "frontier",
            [{"url": f"{base}/gnews.xml", "kind": "gnews"}],
            domains=["frontierherald.example"],
        ),  # fmt: skip
        source("mappost", [{"url": f"{base}/sitemap-index.xml", "kind": "sitemap"}]),
        source(
            "lister",
            [
                {
                    "url": f"{base}/section/",
                    "kind": "site",
                    "article_pattern": r"/section/\d{4}/story-[\d-]+\.html$",
                    "next_pattern": r"/section/\?page=\d+$",
                    "max_pages": 2,
                }
            ],
        ),
    ]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("kinds")
    with serve_pages(site_pages()) as server:
        raw = base_config(tmp_path)
        raw["sources"] = configured_sources(server.base_url)
        config = make_config(tmp_path, raw)
        url = f"sqlite:///{tmp_path / 'kinds.sqlite'}"
        store = Store(url)
        report = collect(config, store, url)
        with store.engine.connect() as conn:
            rows = {r.url: dict(r._mapping) for r in conn.execute(select(articles))}
            states = {r.url: dict(r._mapping) for r in conn.execute(select(feed_state))}
        # A second run of the unchanged site, every target due again.
        with store.engine.begin() as conn:
            conn.execute(feed_state.update().values(next_fetch_at=None))
        before = len(server.requests)
        second = collect(config, store, url)
        with store.engine.connect() as conn:
            second_states = {r.url: dict(r._mapping) for r in conn.execute(select(feed_state))}
        yield {
            "second": second,
            "second_requests": list(server.requests[before:]),
            "second_states": second_states,
            "report": report,
            "articles": rows,
            "states": states,
            "base": server.base_url,
            "requests": list(server.requests),
        }
        store.close()


@pytest.mark.parametrize("name", ["rss091", "rss092", "rss10", "rss20", "atom03", "atom10"])
def test_feed_formats(collected: dict[str, Any], name: str) -> None:
    article = collected["articles"][f"{collected['base']}/a/{name}.html"]
    assert article["source"] == "feeds"
    assert article["text_status"] == "ok" and len(article["text"]) > 200
    assert article["published_source"] == "page"
    assert article["published_at"].isoformat() == "2025-10-26T10:00:00"


def test_every_target_succeeded(collected: dict[str, Any]) -> None:
    assert not collected["report"].timed_out
    problems = {u: (s["last_status"], s["last_error"]) for u, s in collected["states"].items()
                if s["last_status"] != "ok"}  # fmt: skip
    assert problems == {}


def test_feed_ttl_sets_the_interval(collected: dict[str, Any]) -> None:
    # <ttl>90</ttl> minutes lies within the 15 min – 12 h bounds.
    assert collected["states"][f"{collected['base']}/rss20.xml"]["interval_seconds"] == 90 * 60


def test_implausible_page_date_falls_back_to_the_feed(collected: dict[str, Any]) -> None:
    article = collected["articles"][f"{collected['base']}/a/future.html"]
    assert article["published_source"] == "feed"
    assert article["published_at"].isoformat() == "2025-10-26T09:00:00"


def test_google_news_search_feed(collected: dict[str, Any]) -> None:
    base = collected["base"]
    article = collected["articles"][f"{base}/gn/rd/1"]
    assert article["title"] == "Torkham crossing reopens after talks"
    assert article["source"] == "frontier"  # from <source url>, not the feed's host
    assert article["text_status"] == "not_fetched"
    assert "/gn/rd/1" not in collected["requests"]


def test_news_sitemap_behind_a_sitemap_index(collected: dict[str, Any]) -> None:
    base = collected["base"]
    dated = collected["articles"][f"{base}/a/sitemap-dated.html"]
    undated = collected["articles"][f"{base}/a/sitemap-undated.html"]
    assert dated["source"] == undated["source"] == "mappost"
    assert dated["published_source"] == "page"
    assert undated["published_source"] == "sitemap"
    assert undated["published_at"].isoformat() == "2025-10-24T03:00:00"
    assert undated["title"] == "Sitemap story without a page date"
    assert undated["language"] == "en"


def test_listing_pages_paginate_to_max_pages(collected: dict[str, Any]) -> None:
    base = collected["base"]
    listed = {u for u, a in collected["articles"].items() if a["source"] == "lister"}
    expected = {f"{base}/section/2025/story-{p}-{n}.html" for p in (1, 2) for n in (1, 2)}
    assert listed == expected
    assert "/section/?page=3" not in collected["requests"]
    assert all(collected["articles"][u]["title"].startswith("Listed story") for u in listed)
    assert "/about.html" not in collected["requests"]


def test_listed_story_dated_by_its_byline(collected: dict[str, Any]) -> None:
    base = collected["base"]
    dated = collected["articles"][f"{base}/section/2025/story-1-1.html"]
    written = collected["articles"][f"{base}/section/2025/story-2-2.html"]
    assert dated["published_source"] == "page"
    assert dated["published_at"].isoformat() == "2025-10-26T10:00:00"
    # A listing page gives no date: without the byline the story would count on its
    # collection day.
    assert written["published_source"] == "page_text"
    assert written["published_at"].isoformat() == "2025-10-24T00:00:00"


def test_second_run_fetches_no_article_and_parses_nothing(collected: dict[str, Any]) -> None:
    second = collected["second"]
    assert second.new == 0 and second.articles == 0
    assert second.parsed == 0  # every target, listing pages included, answered 304
    assert not [p for p in collected["second_requests"] if p.startswith(("/a/", "/section/2"))]
    rss20 = collected["second_states"][f"{collected['base']}/rss20.xml"]
    assert rss20["last_status"] == "not_modified"
    # The interval learnt from the feed's ttl still holds on a 304.
    assert rss20["interval_seconds"] == 90 * 60
    waited = rss20["next_fetch_at"] - rss20["last_fetch_at"]
    assert abs(waited.total_seconds() - 90 * 60) < 5
