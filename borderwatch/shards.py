"""Group crawl plan entries into shards by registrable domain.

One shard is crawled by one process, so per-domain politeness (download delay, concurrency,
robots.txt) is enforced where the requests are made. The public suffix list is the snapshot
that tldextract ships: it is never downloaded.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import tldextract


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(url: str) -> str:
    """``news.example.co.uk`` → ``example.co.uk``; an IP address or a name without a public
    suffix (``localhost``, ``site.test``) stands for itself."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return url
    parts = _extractor()(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return host


def group_by_domain(plan: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The plan's entries by the registrable domain of their URL, domains in sorted order."""
    shards: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in plan:
        shards[registrable_domain(entry["url"])].append(entry)
    return dict(sorted(shards.items()))
