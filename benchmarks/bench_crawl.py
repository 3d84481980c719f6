"""Crawl throughput: 2,000 article pages behind 20 feeds on a local server, end to end.

Serves a generated site on 127.0.0.1 (20 RSS feeds of 100 items; article pages of about 12 KB
with the navigation, sidebar and footer a news site wraps around a story), then:

1. the baseline: the same pages fetched one by one with urllib, extracted with
   crawler.extract and written as JSON Lines, in this process (the simplest collector);
2. ``collect``'s crawl: a real Scrapy crawl in a child process (fetch, extract, stage), timed,
   with the child's peak memory; the staged items are then stored (timed separately);
3. a second crawl of the unchanged site, which must fetch no article page and parse no feed
   body (every feed answers 304 to its ETag): asserted and printed.

Steps 1 and 2 repeat ``--repeat`` times, interleaved; medians are printed. Nothing leaves
127.0.0.1.

    .venv/bin/python benchmarks/bench_crawl.py [--repeat 3] [--feeds 20] [--per-feed 100]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from borderwatch.collect import crawl_in_child, sync_configuration  # noqa: E402
from borderwatch.config import PACKAGED_CONFIG, config_from_mapping  # noqa: E402
from borderwatch.ingest import process_staging  # noqa: E402
from borderwatch.plan import plan_targets, processing_rules  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.staging import StagingArea  # noqa: E402
from pipeline.store import Store, utcnow  # noqa: E402
from tests.support.fault_server import serve_pages  # noqa: E402

SUBJECTS = [
    "the ceasefire monitoring mechanism",
    "the reopening of the Torkham crossing",
    "trade through Chaman and Spin Boldak",
    "the return of Afghan refugees",
    "security cooperation against armed groups",
    "the next round of talks in Istanbul",
]


def article_page(feed: int, number: int) -> str:
    subject = SUBJECTS[(feed + number) % len(SUBJECTS)]
    paragraphs = "\n".join(
        f"<p>Paragraph {p} of report {feed}-{number}: officials from Islamabad and Kabul said on "
        f"day {number % 28 + 1} that {subject} was discussed at length, that traders and "
        "travellers waiting at the border needed an answer, and that the mediators would meet "
        f"both delegations again before the end of the week (item {number}).</p>"
        for p in range(8)
    )
    nav = " ".join(f'<a href="/section/{n}">Section {n}</a>' for n in range(40))
    side = "".join(f'<li><a href="/n/{feed}/{(number + k) % 100}.html">Related {k}</a></li>'
                   for k in range(15))  # fmt: skip
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Report {feed}-{number} on {subject} | Bench Post</title>
<meta property="og:title" content="Report {feed}-{number} on {subject}">
<meta name="author" content="Reporter {feed}">
<meta property="article:published_time" content="2025-10-{number % 28 + 1:02d}T08:00:00+05:00">
<script>window.analytics = {{"page": "{feed}-{number}"}};</script>
<style>body {{ font-family: serif; }} .nav a {{ margin: 0 4px; }}</style>
</head><body><header><div class="nav">{nav}</div></header>
<main><article><h1>Report {feed}-{number} on {subject}</h1>
<p class="byline">By Reporter {feed}</p>{paragraphs}</article>
<aside><h2>Related</h2><ul>{side}</ul></aside></main>
<footer><p>Bench Post. All rights reserved.</p>{nav}</footer></body></html>"""


def feed_document(feed: int, per_feed: int) -> str:
    items = "".join(
        f"<item><title>Report {feed}-{n}</title><link>{{BASE}}/n/{feed}/{n}.html</link>"
        f"<guid>{{BASE}}/n/{feed}/{n}.html</guid>"
        f"<pubDate>Sun, {n % 28 + 1:02d} Oct 2025 03:00:00 GMT</pubDate>"
        f"<description>Summary of report {feed}-{n}</description></item>"
        for n in range(per_feed)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed}</title><link>{{BASE}}/</link><description>b</description>"
        f"{items}</channel></rss>"
    )


def build_site(feeds: int, per_feed: int) -> dict[str, tuple[str, str]]:
    pages: dict[str, tuple[str, str]] = {"/robots.txt": ("text/plain", "User-agent: *\n")}
    for feed in range(feeds):
        pages[f"/feeds/{feed}.xml"] = ("application/rss+xml", feed_document(feed, per_feed))
        for n in range(per_feed):
            pages[f"/n/{feed}/{n}.html"] = ("text/html; charset=utf-8", article_page(feed, n))
    return pages


def make_config(workdir: Path, base_url: str, feeds: int) -> Any:
    raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    raw["data_dir"] = str(workdir / "data")
    raw["collect"].update(
        {
            "allow_private_addresses": True,
            "download_delay": 0,
            # One local host stands for 20 outlets: let it take the concurrency 20 sites would.
            "concurrency_per_domain": 16,
        }
    )
    raw["sources"] = [
        {
            "key": f"bench{feed}",
            "name": f"Bench {feed}",
            "country": "PK",
            "language": "en",
            "feeds": [f"{base_url}/feeds/{feed}.xml"],
        }
        for feed in range(feeds)
    ]
    return config_from_mapping(raw, base_dir=workdir)


def baseline(server: Any, urls: list[str], out: Path) -> float:
    """Fetch, extract and write every page sequentially; returns seconds."""
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as handle:
        for url in urls:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
            result = extract_article(body, url)
            handle.write(json.dumps({"url": url, **result.as_dict()}, ensure_ascii=False) + "\n")
    return time.perf_counter() - started


def crawl_once(config: Any, store: Store, url: str) -> tuple[dict, float]:
    sync_configuration(config, store)
    plan = plan_targets(config, store.due_feeds(utcnow()))
    started = time.perf_counter()
    report, timed_out, failed = crawl_in_child(config, url, plan, 3600)
    elapsed = time.perf_counter() - started
    if timed_out or failed:
        raise SystemExit(f"crawl did not complete: timed_out={timed_out} failed={failed}")
    return report, elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--per-feed", type=int, default=100)
    args = parser.parse_args(argv)
    pages = args.feeds * args.per_feed
    site = build_site(args.feeds, args.per_feed)
    size = sum(len(body) for path, (_t, body) in site.items() if path.startswith("/n/")) / pages
    print(f"site: {args.feeds} feeds, {pages} article pages of {size / 1024:.1f} KB on average")

    base_rates, crawl_rates, store_rates = [], [], []
    second: dict[str, Any] = {}
    with serve_pages(site) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.url(p) for p in site if p.startswith("/n/")]
        for run in range(args.repeat):
            seconds = baseline(server, urls, Path(tmp) / f"baseline-{run}.jsonl")
            base_rates.append(pages / seconds)

            workdir = Path(tmp) / f"run-{run}"
            workdir.mkdir()
            config = make_config(workdir, server.base_url, args.feeds)
            url = f"sqlite:///{workdir / 'bench.sqlite'}"
            store = Store(url)
            before = len(server.requests)
            report, seconds = crawl_once(config, store, url)
            fetched = sum(1 for p in server.requests[before:] if p.startswith("/n/"))
            assert report["staged"] == pages, report
            assert fetched == pages, fetched
            crawl_rates.append(pages / seconds)
            started = time.perf_counter()
            result = process_staging(StagingArea(config.staging_path), store,
                                     processing_rules(config))  # fmt: skip
            store_rates.append(pages / (time.perf_counter() - started))
            assert result.new == pages, result.new

            if run == 0:
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("UPDATE feed_state SET next_fetch_at = NULL")
                before = len(server.requests)
                report, seconds = crawl_once(config, store, url)
                requested = server.requests[before:]
                second = {
                    "seconds": seconds,
                    "article_requests": sum(1 for p in requested if p.startswith("/n/")),
                    "feed_requests": sum(1 for p in requested if p.startswith("/feeds/")),
                    "parsed": report["parsed"],
                    "articles": report["articles"],
                    "staged": report["staged"],
                }
            store.close()
            print(
                f"  run {run + 1}: baseline {base_rates[-1]:.0f} pages/s, crawl "
                f"{crawl_rates[-1]:.0f} pages/s, store {store_rates[-1]:.0f} items/s"
            )

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    base, crawl = statistics.median(base_rates), statistics.median(crawl_rates)
    print()
    print(f"{'':40}{'median':>12}")
    print(f"{'baseline: urllib + extract, sequential':40}{base:>8.0f} pages/s")
    print(f"{'crawl: fetch + extract + stage (Scrapy)':40}{crawl:>8.0f} pages/s"
          f"   ({crawl / base:.2f}x the baseline)")  # fmt: skip
    print(f"{'store: stages + database':40}{statistics.median(store_rates):>8.0f} items/s")
    print(f"peak memory of the crawl process: {peak_mb:.0f} MB (max RSS over the runs)")
    print(
        f"second, unchanged run: {second['seconds']:.1f} s, {second['feed_requests']} feed "
        f"requests, {second['article_requests']} article page requests, "
        f"{second['parsed']} feed bodies parsed, {second['staged']} items staged"
    )
    assert second["article_requests"] == 0 and second["articles"] == 0, second
    assert second["parsed"] == 0 and second["staged"] == 0, second
    print("second run fetched no article page and parsed no feed body: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
