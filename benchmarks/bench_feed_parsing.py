"""Feed parsing throughput: feedparser's defaults against crawler.kinds.rss.parse_feed.

Parses every .xml document of the feedparser robustness corpus with ``feedparser.parse`` as
shipped (HTML sanitizing and relative-URI resolution on) and with ``parse_feed``, several
repetitions each, interleaved, and prints the medians in documents/s and the speedup.

The corpus documents are tiny (about 400 bytes on average), so they measure per-document
overhead; a second workload of generated news feeds of realistic size (30 items with HTML
summaries and full-text content, about 200 KB) shows the cost of the HTML passes that
parse_feed switches off. Nothing is fetched.

    .venv/bin/python benchmarks/bench_feed_parsing.py [--repeat 5] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import feedparser

# feedparser's XML driver preference as shipped; crawler.kinds.rss changes it when imported.
SHIPPED_XML_PARSERS = list(feedparser.api.PREFERRED_XML_PARSERS)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.kinds.rss import parse_feed  # noqa: E402 - after the path set-up above

PROJECT_XML_PARSERS = list(feedparser.api.PREFERRED_XML_PARSERS)

FEED_URL = "https://news.example.com/feed/"


def default_corpus() -> Path:
    configured = os.environ.get("BORDERWATCH_FEED_CORPUS")
    if configured:
        return Path(configured)
    return REPO.parent / "shared" / "corpora" / "feedparser-tests"


def realistic_feeds(count: int = 20) -> list[bytes]:
    """WordPress-style RSS 2.0 feeds: 30 items with HTML descriptions and content:encoded."""
    paragraph = (
        '<p>Delegations from <a href="/tag/pakistan">Pakistan</a> and '
        '<a href="https://example.org/afghanistan">Afghanistan</a> met in <strong>Istanbul'
        "</strong> &amp; Doha to discuss the <em>border</em> ceasefire and the reopening of "
        'Torkham.</p><figure><img src="/img/{n}.jpg" alt="talks" width="600"/>'
        "<figcaption>Delegations meet</figcaption></figure>"
    )
    feeds = []
    for feed in range(count):
        items = []
        for n in range(30):
            html = paragraph.format(n=n)
            items.append(
                f"<item><title>Talks resume, day {n} ({feed})</title>"
                f"<link>https://news.example.com/2025/10/26/talks-{feed}-{n}/</link>"
                f'<guid isPermaLink="false">https://news.example.com/?p={feed * 100 + n}</guid>'
                f"<pubDate>Sun, 26 Oct 2025 09:{n:02d}:00 +0500</pubDate>"
                "<dc:creator><![CDATA[Staff Reporter]]></dc:creator>"
                "<category><![CDATA[Pakistan]]></category>"
                f"<description><![CDATA[{html}]]></description>"
                f"<content:encoded><![CDATA[{html * 20}]]></content:encoded></item>"
            )
        feeds.append(
            (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News</title>'
                "<link>https://news.example.com/</link><description>Latest</description>"
                + "".join(items)
                + "</channel></rss>"
            ).encode()
        )
    return feeds


def feedparser_defaults(body: bytes) -> object:
    # A stream rather than the bytes themselves: the same parsing work, without feedparser
    # first trying the document as a file name. The XML driver preference as shipped.
    feedparser.api.PREFERRED_XML_PARSERS = SHIPPED_XML_PARSERS
    return feedparser.parse(io.BytesIO(body))


def ours(body: bytes) -> object:
    feedparser.api.PREFERRED_XML_PARSERS = PROJECT_XML_PARSERS
    return parse_feed(body, url=FEED_URL, source="bench")


def measure(
    documents: Sequence[bytes], contenders: dict[str, Callable[[bytes], object]], repeat: int
) -> dict[str, list[float]]:
    """Seconds per full pass for each contender, passes interleaved so drift hits both."""
    for parse in contenders.values():  # warm-up: imports, regex compilation, caches
        for body in documents[:50]:
            parse(body)
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, parse in contenders.items():
            started = time.perf_counter()
            for body in documents:
                parse(body)
            timings[name].append(time.perf_counter() - started)
    return timings


def report(title: str, documents: Sequence[bytes], timings: dict[str, list[float]]) -> float:
    size = sum(len(body) for body in documents)
    print(f"\n{title}: {len(documents)} documents, {size / 1e6:.2f} MB")
    rates = {}
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        rates[name] = len(documents) / median
        spread = f"{min(seconds):.3f}-{max(seconds):.3f}s"
        print(f"  {name:<22} {rates[name]:>9.0f} docs/s   median {median:.3f}s  ({spread})")
    speedup = rates["parse_feed"] / rates["feedparser defaults"]
    print(f"  speedup                {speedup:>9.2f}x")
    return speedup


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes per contender (5)")
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="corpus folder")
    args = parser.parse_args(argv)

    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    corpus = [path.read_bytes() for path in sorted(args.corpus.rglob("*.xml"))]
    contenders = {"feedparser defaults": feedparser_defaults, "parse_feed": ours}
    print(
        f"feedparser {feedparser.__version__}, Python {sys.version.split()[0]}, "
        f"{args.repeat} passes each, medians"
    )

    report("corpus", corpus, measure(corpus, contenders, args.repeat))
    realistic = realistic_feeds()
    report("realistic news feeds", realistic, measure(realistic, contenders, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
