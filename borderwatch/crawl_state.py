"""The crawler's CrawlState, implemented on the store.

Fetch outcomes (status, validators, body hash, next fetch time) are held back while the crawl
runs and written by ``commit`` only once the crawl's staged batch is published: a feed's new
validators must never reach the database before the articles it listed are staged, or a crash
in between would turn the next poll into a 304 and lose those articles for good.
"""

from __future__ import annotations

from typing import Any

from pipeline.canonical import canonical_url
from pipeline.database import Database
from pipeline.schema import feed_state

FEED_STATE_COLUMNS = frozenset(feed_state.c.keys())
# What a crawl that did not finish must not keep: with them, the next poll could be a 304 for a
# feed whose listed articles were never fetched.
VALIDATORS = ("etag", "last_modified", "body_hash")


class StoreCrawlState:
    """Answers "is this article stored?" and keeps fetch outcomes until ``commit``."""

    def __init__(self, store: Database, plan: list[dict[str, Any]] | None = None) -> None:
        self.store = store
        # The lease token each planned target was sent with (none when collect planned it).
        self.tokens = {(t["source"], t["url"]): t.get("lease_token") for t in plan or []}
        self.outcomes: dict[tuple[str, str], dict[str, Any]] = {}

    def known_urls(self, urls: list[str]) -> set[str]:
        canonical = {u: canonical_url(u) for u in urls}
        stored = self.store.stored_urls(list(urls) + list(canonical.values()))
        return {u for u in urls if u in stored or canonical[u] in stored}

    def record_fetch(self, source: str, url: str, outcome: dict[str, Any]) -> None:
        # Outcomes may carry more than the table keeps (http_status, newest_item_at: for
        # ``sources check``); only feed_state's own columns are kept.
        columns = {k: v for k, v in outcome.items() if k in FEED_STATE_COLUMNS}
        self.outcomes[(source, url)] = columns

    def commit(self, *, finished: bool) -> tuple[int, int]:
        """Write the held outcomes, each only while its target's lease token still matches;
        returns (written, refused). Call it after the crawl's batch is published.

        ``finished``: the crawl ran to its end. Otherwise articles of a feed it read may not
        have been fetched: the validators are dropped and the target is due again at once."""
        written = refused = 0
        for (source, url), columns in self.outcomes.items():
            if not finished and columns.get("last_status") != "error":
                columns = {k: v for k, v in columns.items() if k not in VALIDATORS}
                columns.update({name: None for name in VALIDATORS}, next_fetch_at=None)
            token = self.tokens.get((source, url))
            if self.store.record_fetch(source, url, columns, lease_token=token):
                written += 1
            else:
                refused += 1
        self.outcomes.clear()
        return written, refused
