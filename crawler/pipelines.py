"""Scrapy item pipeline: every collected item goes into one durable staging batch per crawl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.staging import BatchWriter, StagingArea


class StagingPipeline:
    """Writes items to the staging area; the batch is published when the spider closes."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.writer: BatchWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StagingPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.writer = StagingArea(Path(spider.staging_dir)).writer(prefix=spider.name)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.writer is not None
        self.writer.write(dict(item))
        return item

    def close_spider(self) -> None:
        spider = self.crawler.spider
        if self.writer is not None:
            path = self.writer.close()
            spider.staged_batch = str(path) if path else None
            spider.staged_items = self.writer.count
