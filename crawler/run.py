"""Run one crawl of a plan in the current process.

Twisted's reactor cannot be restarted within a process, so callers that crawl more than once
(the daemon, the demo) run this in a child process (see borderwatch.crawl_child).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.backoff import Intervals
from crawler.settings import crawl_settings
from crawler.spiders.sources import SourcesSpider
from crawler.state import CrawlState


@dataclass
class CrawlReport:
    fetched: int = 0
    staged: int = 0
    batch: str | None = None


def build_settings(options: dict[str, Any]) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(crawl_settings(options), priority="cmdline")
    return settings


def run_crawl(
    plan: list[dict[str, Any]],
    state: CrawlState,
    staging_dir: str,
    options: dict[str, Any],
) -> CrawlReport:
    """Fetch every target of ``plan``, stage the new articles and report what happened."""
    if not plan:
        return CrawlReport()
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING)
    process = CrawlerProcess(build_settings(options))
    crawler = process.create_crawler(SourcesSpider)
    intervals = Intervals(
        int(options.get("source_interval", 3600)),
        int(options.get("min_interval", 900)),
        int(options.get("max_interval", 43200)),
    )
    process.crawl(crawler, plan=plan, state=state, staging_dir=staging_dir, intervals=intervals)
    process.start()
    spider = crawler.spider
    return CrawlReport(
        fetched=getattr(spider, "stats_fetched", 0),
        staged=getattr(spider, "staged_items", 0),
        batch=getattr(spider, "staged_batch", None),
    )
