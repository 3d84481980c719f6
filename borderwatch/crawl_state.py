"""The crawler's CrawlState, implemented on the store."""

from __future__ import annotations

from typing import Any

from pipeline.schema import feed_state
from pipeline.stages.normalize import canonical_url
from pipeline.store import Store

FEED_STATE_COLUMNS = frozenset(feed_state.c.keys())


class StoreCrawlState:
    """Answers "is this article stored?" and records fetch outcomes in feed_state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def known_urls(self, urls: list[str]) -> set[str]:
        canonical = {u: canonical_url(u) for u in urls}
        stored = self.store.stored_urls(list(urls) + list(canonical.values()))
        return {u for u in urls if u in stored or canonical[u] in stored}

    def record_fetch(self, source: str, url: str, outcome: dict[str, Any]) -> None:
        # Outcomes may carry more than the table keeps (http_status, newest_item_at: for
        # ``sources check``); only feed_state's own columns are written.
        columns = {k: v for k, v in outcome.items() if k in FEED_STATE_COLUMNS}
        self.store.record_fetch(source, url, columns)
