"""config → crawl (a real Scrapy child process against the sample site) → stages → database.

The sample site is served on 127.0.0.1 with a fixed "now", so every count below is known.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import feedparser
from sqlalchemy import text

from borderwatch.collect import collect
from borderwatch.demo.sample_site import demo_sources
from pipeline.stages.normalize import canonical_url
from pipeline.store import Store
from tests.support.config import base_config, make_config


def linked_articles(server) -> set[str]:
    """Canonical URLs of the articles the site's feeds link to, read independently."""
    links = set()
    for urls in server.feed_urls().values():
        for url in urls:
            with urllib.request.urlopen(url, timeout=10) as response:
                parsed = feedparser.parse(response.read())
            links.update(canonical_url(e.link) for e in parsed.entries if e.get("link"))
    return links


def test_collect_sample_site_end_to_end(tmp_path: Path, sample_site, db_url) -> None:
    raw = base_config(tmp_path)
    raw["sources"] = demo_sources(sample_site.base_url)
    config = make_config(tmp_path, raw)
    url = db_url
    store = Store(url)

    report = collect(config, store, url)

    site = sample_site.site
    by_url = {canonical_url(sample_site.base_url + a.path): a for a in site.articles}
    served = {u: by_url[u] for u in linked_articles(sample_site)}
    assert len(served) >= 35
    assert report.targets == sum(len(s["feeds"]) for s in raw["sources"])
    assert report.new == len(served)
    with store.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT canonical_url, relevant FROM articles")).all())
        volume = conn.execute(text("SELECT sum(articles) FROM daily_volume")).scalar_one()
        relevant_cov = conn.execute(
            text("SELECT sum(articles) FROM daily_coverage WHERE tag = '*'")
        ).scalar_one()
        tags = {r[0] for r in conn.execute(text("SELECT DISTINCT tag FROM daily_coverage"))}
        full_text = conn.execute(
            text("SELECT count(*) FROM articles WHERE text_status = 'ok'")
        ).scalar_one()
        page_dates = conn.execute(
            text("SELECT count(*) FROM articles WHERE published_source = 'page'")
        ).scalar_one()
        states = conn.execute(text("SELECT source, last_status, last_error FROM feed_state")).all()
        story_of = dict(conn.execute(text("SELECT canonical_url, story_id FROM articles")).all())
        story_sizes = dict(conn.execute(text("SELECT id, articles FROM stories")).all())
        story_outlets = dict(conn.execute(text("SELECT id, outlets FROM stories")).all())
    # Every article linked from a healthy feed is stored once, and relevance is right for each.
    assert set(stored) == set(served)
    wrong = [u for u, article in served.items() if bool(stored[u]) != article.on_topic]
    assert not wrong, f"relevance disagrees with the site's labels for {wrong}"
    assert volume == len(served)
    assert relevant_cov == sum(a.on_topic for a in served.values())
    assert "*" in tags and len(tags - {"*"}) >= 3
    assert full_text == len(served)
    assert page_dates == len(served)
    # The wire story that three outlets ran with their own intros and endings is ONE story;
    # every other article is a story of its own.
    wire = {u for u, article in served.items() if article.story}
    assert len(wire) == 3
    (wire_story,) = {story_of[u] for u in wire}
    assert (story_sizes[wire_story], story_outlets[wire_story]) == (3, 3)
    assert len(story_sizes) == len(served) - 2
    broken = [s for s in states if s[1] == "error"]
    assert len(broken) == 1 and broken[0][2]
    store.close()


def test_second_collect_fetches_no_article_page(tmp_path: Path, sample_site, db_url) -> None:
    raw = base_config(tmp_path)
    raw["sources"] = demo_sources(sample_site.base_url)
    config = make_config(tmp_path, raw)
    url = db_url
    store = Store(url)
    first = collect(config, store, url)
    assert first.new > 0
    with store.engine.begin() as conn:
        # Make every target due again at once.
        conn.execute(text("UPDATE feed_state SET next_fetch_at = NULL"))
    before = len(sample_site.request_log)
    second = collect(config, store, url)
    requests = sample_site.request_log[before:]
    assert second.new == 0
    feed_paths = {p for s in raw["sources"] for f in s["feeds"] for p in [f.split("/", 3)[3]]}
    assert all(path.lstrip("/") in feed_paths or path == "/robots.txt" for _m, path in requests), (
        requests
    )
    with store.engine.connect() as conn:
        statuses = {r[0] for r in conn.execute(text("SELECT last_status FROM feed_state"))}
    assert statuses <= {"not_modified", "unchanged", "error"}
    store.close()
