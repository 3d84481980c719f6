"""Run one crawl of a plan in the current process.

Twisted's reactor cannot be restarted within a process, so callers that crawl more than once
(the daemon, the demo) run this in a child process (see borderwatch.crawl_child).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

# Imported here, near the bottom of the stack, rather than by the engine deep inside the crawl:
# importing it builds deprecated aliases with inspect.stack(), which reads the source of every
# frame on the stack (about 45 there), a third of a second of the crawl's start-up.
import scrapy.core.downloader.handlers.http11  # noqa: F401
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.backoff import Intervals
from crawler.extract_pool import Extractor, InlineExtractor
from crawler.settings import crawl_settings
from crawler.spiders.sources import SourcesSpider
from crawler.state import CrawlState


@dataclass
class CrawlReport:
    """What one crawl did: responses received, feed/sitemap/listing bodies parsed, article
    pages fetched (or failed), items staged, and the staging batch written."""

    fetched: int = 0
    parsed: int = 0
    articles: int = 0
    staged: int = 0
    batch: str | None = None
    # Why Scrapy closed the spider: "finished" when the crawl ran to its end.
    finish_reason: str | None = None


def build_settings(options: dict[str, Any], *, check_only: bool = False) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(crawl_settings(options), priority="cmdline")
    if check_only:
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    return settings


def run_crawl(
    plan: list[dict[str, Any]],
    state: CrawlState,
    staging_dir: str | None,
    options: dict[str, Any],
    *,
    check_only: bool = False,
    extractor: Extractor | None = None,
) -> CrawlReport:
    """Fetch every target of ``plan``, stage the new articles and report what happened.

    With ``check_only`` each target is fetched once without validators, nothing is followed or
    staged, and what was found goes to ``state.record_fetch`` only.

    Article pages go to ``extractor``: the caller makes it (``crawler.extract_pool.
    make_extractor``, which the crawl process starts before it imports Scrapy), and it is closed
    here. None extracts in this thread (``sources check`` follows no article link, so it needs
    none).
    """
    if extractor is None:
        extractor = InlineExtractor()
    if not plan:
        extractor.close()
        return CrawlReport()
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING)
    process = CrawlerProcess(build_settings(options, check_only=check_only))
    crawler = process.create_crawler(SourcesSpider)
    # Why the spider closed ("finished", "closespider_timeout", "shutdown"...), from the signal:
    # the crawl keeps no stats (crawler.settings).
    closed: dict[str, str] = {}

    def _spider_closed(spider: Any, reason: str) -> None:
        closed["reason"] = reason

    crawler.signals.connect(_spider_closed, signal=signals.spider_closed)
    intervals = Intervals(
        int(options.get("source_interval", 3600)),
        int(options.get("min_interval", 900)),
        int(options.get("max_interval", 43200)),
    )
    try:
        process.crawl(
            crawler,
            plan=plan,
            state=state,
            staging_dir=staging_dir,
            intervals=intervals,
            check_only=check_only,
            extractor=extractor,
        )
        process.start()
    finally:
        extractor.close()
    spider = crawler.spider
    return CrawlReport(
        fetched=getattr(spider, "stats_fetched", 0),
        parsed=getattr(spider, "stats_parsed", 0),
        articles=getattr(spider, "stats_articles", 0),
        staged=getattr(spider, "staged_items", 0),
        batch=getattr(spider, "staged_batch", None),
        finish_reason=closed.get("reason"),
    )
