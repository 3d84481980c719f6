"""The item a spider yields: one article in the public item format (docs/schema.md).

Items are plain dicts so that the staging files, ``borderwatch ingest`` files and other
crawlers (scrapy-redis workers, imports) all speak the same JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

ITEM_FIELDS = (
    "url",
    "title",
    "summary",
    "text",
    "published",
    "source",
    "feed_url",
    "language",
    "guid",
    "author",
    "updated",
    "published_source",
    "text_status",
    "canonical",
    "collected_at",
    "source_url",
)

# text_status values: what happened to the full text of an article.
TEXT_OK = "ok"  # extracted from the article page
TEXT_NOT_FETCHED = "not_fetched"  # full text is off for this source; feed fields only
TEXT_EMPTY = "empty"  # the page had no extractable text (paywall, video, script-only)
TEXT_BLOCKED = "blocked"  # the page answered 401/403/451 or robots.txt forbids it
TEXT_ERROR = "error"  # the page could not be fetched (timeout, 5xx, too large)


def make_item(**fields: Any) -> dict[str, Any]:
    """An item with only known, non-empty fields and a collection time."""
    item = {k: v for k, v in fields.items() if k in ITEM_FIELDS and v not in (None, "")}
    item.setdefault("collected_at", datetime.now(UTC).isoformat(timespec="seconds"))
    return item
