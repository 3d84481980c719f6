"""The crawler's one window onto stored state, as a protocol.

The crawler knows nothing of the database; whoever starts a crawl hands it an object with these
methods (borderwatch.crawl_state implements them on the store).
"""

from __future__ import annotations

from typing import Any, Protocol


class CrawlState(Protocol):
    def known_urls(self, urls: list[str]) -> set[str]:
        """Those of ``urls`` whose article is already stored (by URL or canonical URL)."""
        ...

    def record_fetch(self, source: str, url: str, outcome: dict[str, Any]) -> None:
        """Remember what fetching one target taught us (status, validators, entries, error)."""
        ...


class MemoryState:
    """A CrawlState without a database: for ``sources check`` and tests."""

    def __init__(self, known: set[str] | None = None) -> None:
        self.known = set(known or ())
        self.outcomes: dict[tuple[str, str], dict[str, Any]] = {}

    def known_urls(self, urls: list[str]) -> set[str]:
        return {u for u in urls if u in self.known}

    def record_fetch(self, source: str, url: str, outcome: dict[str, Any]) -> None:
        self.outcomes[(source, url)] = outcome
