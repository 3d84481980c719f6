"""The public item format: what spiders yield and what ``borderwatch ingest`` reads.

One JSON object per item. Only ``url`` is required; unknown fields are ignored. ``validate_item``
turns one decoded object into a clean dict or raises ItemError with a message for the user;
``make_item`` is how the crawler builds one.

This is the one definition of the format (docs/schema.md documents it). The crawler imports it
too, so it stays a plain module: the standard library and pipeline.urls, nothing of the stages
or the store (an import contract in pyproject.toml checks that).

Items are plain dicts so that the staging files, ``borderwatch ingest`` files and other
crawlers all speak the same JSON.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pipeline.urls import split_url

# Public fields, then the extras the crawler adds; anything else in an item is dropped.
PUBLIC_FIELDS = ("url", "title", "summary", "text", "published", "source", "feed_url", "language")
EXTRA_FIELDS = (
    "guid",
    "author",
    "updated",
    "published_source",
    "text_status",
    "canonical",
    "collected_at",
    "source_url",
)
FIELDS = PUBLIC_FIELDS + EXTRA_FIELDS

# text_status values: what happened to the full text of an article.
TEXT_OK = "ok"  # extracted from the article page
TEXT_NOT_FETCHED = "not_fetched"  # full text is off for this source; feed fields only
TEXT_EMPTY = "empty"  # the page had no extractable text (paywall, video, script-only)
TEXT_BLOCKED = "blocked"  # the page answered 401/403/451 or robots.txt forbids it
TEXT_ERROR = "error"  # the page could not be fetched (timeout, 5xx, too large)


def make_item(**fields: Any) -> dict[str, Any]:
    """An item with only known, non-empty fields and a collection time."""
    item = {k: v for k, v in fields.items() if k in FIELDS and v not in (None, "")}
    item.setdefault("collected_at", datetime.now(UTC).isoformat(timespec="seconds"))
    return item


class ItemError(ValueError):
    """An item that cannot be used; the message says which field and why."""


# A JSON escape of a UTF-16 surrogate: half of a pair such as "\ud83d\ude00", or alone.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def item_from_line(line: str) -> dict[str, Any]:
    """One line of a JSON Lines item file as a clean item, or ItemError (also for a line that
    is not JSON).

    JSON may escape half of a UTF-16 surrogate pair on its own (``\\ud800``); that is no character
    and no database can store it, so it becomes U+FFFD, as undecodable bytes do when the file
    is read. Only lines with such an escape are looked at twice.
    """
    try:
        decoded = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ItemError(f"not valid JSON ({exc.msg})") from None
    if "\\u" in line and _SURROGATE_ESCAPE.search(line):
        decoded = _replace_surrogates(decoded)
    return validate_item(decoded)


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def validate_item(obj: Any) -> dict[str, Any]:
    """A clean item with known fields only, or ItemError."""
    if not isinstance(obj, dict):
        raise ItemError(f"expected a JSON object, got {type(obj).__name__}")
    url = obj.get("url")
    stripped = url.strip() if isinstance(url, str) else ""
    if not stripped:
        raise ItemError("missing required field 'url'")
    try:
        parts = split_url(stripped)
    except ValueError:  # e.g. an unbalanced "[" in the host
        raise ItemError(f"field 'url' is not a valid URL: {url[:200]!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ItemError(f"field 'url' is not an http(s) URL: {url[:200]!r}")
    # FIELDS starts with "url": the loop stores it stripped, like every other field.
    item: dict[str, Any] = {}
    for field in FIELDS:
        value = obj.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            else:
                raise ItemError(f"field {field!r} must be a string, got {type(value).__name__}")
        value = value.strip()
        if value:
            item[field] = value
    return item
