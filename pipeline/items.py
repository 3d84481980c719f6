"""The public item format: what spiders yield and what ``borderwatch ingest`` reads.

One JSON object per item. Only ``url`` is required; unknown fields are ignored. ``validate_item``
turns one decoded object into a clean dict or raises ItemError with a message for the user;
``make_item`` is how the crawler builds one.

This is the one definition of the format (docs/schema.md documents it). The crawler imports it
too, so it stays a plain module: the standard library and pipeline.urls, nothing of the stages
or the store (an import contract in pyproject.toml checks that).

Items are plain dicts so that the staging files, ``borderwatch ingest`` files and other
crawlers all speak the same JSON.

Every item passes through here twice on its way to the database: when a file is staged by
``ingest``, and when any staged batch (the crawler's too) is read for processing. So this is
where values no back end can store are dealt with (docs/schema.md, "Limits of the item
format"):

- characters a database refuses (NUL: PostgreSQL text cannot hold it; half a UTF-16 surrogate
  pair) and the other C0 control characters except tab, line feed and carriage return are
  removed, silently: they carry no meaning in news text;
- ``title``, ``summary`` and ``text`` longer than their limits are cut to the limit; other
  free-text fields likewise; the item is kept and the cut reported;
- a short label (``text_status``, ``published_source``, ``language``) longer than its column
  is dropped and reported.

The dates of an item are judged where both readers of item lines live, in
``borderwatch.ingest`` (by the crawler's plausibility rules, which this module may not import).
Problems an item survives are appended to the caller's ``notes`` list, one line each.
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

#: The longest ``url`` an item may have; a longer one makes the item unusable.
MAX_URL = 4096
#: Characters kept of the free-text fields; the rest is cut off (and the cut reported).
MAX_LENGTH = {
    "title": 1_000,
    "summary": 10_000,
    "text": 500_000,
    "author": 1_000,
    "guid": 4_096,
    # A source that matches no configured one becomes a discovered source: its key (at most 200
    # characters in the sources table) is derived from this name.
    "source": 200,
}
#: Address fields longer than MAX_URL are dropped rather than cut (a cut address is wrong).
ADDRESS_FIELDS = ("feed_url", "canonical", "source_url")
#: Short labels and the most characters their columns hold: a longer value is no such label
#: (the crawler names its values, docs/schema.md lists them) and is dropped. ISO 639 codes are 2
#: or 3 letters, with a region or script a few more.
MAX_LABEL = {"text_status": 16, "published_source": 16, "language": 8}


def make_item(**fields: Any) -> dict[str, Any]:
    """An item with only known, non-empty fields and a collection time."""
    item = {k: v for k, v in fields.items() if k in FIELDS and v not in (None, "")}
    item.setdefault("collected_at", datetime.now(UTC).isoformat(timespec="seconds"))
    return item


class ItemError(ValueError):
    """An item that cannot be used; the message says which field and why."""


# A JSON escape of a UTF-16 surrogate: half of a pair such as "\ud83d\ude00", or alone.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPE = re.compile(r"\\[ubf]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0 controls but tab, line feed and carriage return; NUL among them. And surrogates.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def item_from_line(line: str, notes: list[str] | None = None) -> dict[str, Any]:
    """One line of a JSON Lines item file as a clean item, or ItemError (also for a line that
    is not JSON).

    A byte order mark at the start of the line (a file saved by a Windows editor) is skipped.
    JSON may escape half of a UTF-16 surrogate pair on its own (``\\ud800``); that is no character
    and no database can store it, so it becomes U+FFFD, as undecodable bytes do when the file
    is read. Only lines with such an escape are looked at twice.
    """
    if line.startswith("\ufeff"):
        line = line[1:]
    try:
        decoded = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ItemError(_json_problem(exc)) from None
    except RecursionError:
        raise ItemError("not valid JSON (nested too deeply)") from None
    # JSON text holds no raw control characters: a decoded string can hold one only through an
    # escape (\u0000, \b, \f), so most lines need no look at every string. One regular
    # expression finds all three: "in" tests of a non-ASCII line cost several times more.
    clean = _ESCAPE.search(line) is not None
    if clean and _SURROGATE_ESCAPE.search(line):
        decoded = _replace_surrogates(decoded)
    return validate_item(decoded, notes, clean=clean)


def _json_problem(exc: json.JSONDecodeError) -> str:
    """The JSON error in one line, with its column; a raw control character is named."""
    if exc.msg.startswith("Invalid control character") and exc.pos < len(exc.doc):
        char = exc.doc[exc.pos]
        return (
            f"not valid JSON (raw control character U+{ord(char):04X} at column {exc.colno}; "
            f"inside a string write it as \\u{ord(char):04x})"
        )
    return f"not valid JSON ({exc.msg} at column {exc.colno})"


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def storable(value: str) -> str:
    """``value`` without the characters no database (or no reader) should get: C0 controls other
    than tab, line feed and carriage return are removed, half surrogate pairs become U+FFFD."""
    if not _UNSTORABLE.search(value):
        return value
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", value))


def validate_item(
    obj: Any, notes: list[str] | None = None, *, clean: bool = True
) -> dict[str, Any]:
    """A clean item with known fields only, or ItemError.

    Problems the item survives (a cut title, a dropped value) are appended to ``notes``.
    ``clean=False``: the strings are known to hold no control character or surrogate.
    """
    if not isinstance(obj, dict):
        raise ItemError(f"expected a JSON object, got {_kind(obj)}")
    url = obj.get("url")
    if url is None:
        raise ItemError("missing required field 'url'")
    if not isinstance(url, str):
        raise ItemError(f"field 'url' must be a string, got {_kind(url)}")
    stripped = storable(url).strip()
    if not stripped:
        raise ItemError("missing required field 'url'")
    if len(stripped) > MAX_URL:
        raise ItemError(f"field 'url' is {len(stripped):,} characters long, at most {MAX_URL:,}")
    try:
        parts = split_url(stripped)
    except ValueError:  # e.g. an unbalanced "[" in the host
        raise ItemError(f"field 'url' is not a valid URL: {url[:200]!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ItemError(f"field 'url' is not an http(s) URL: {url[:200]!r}")
    # FIELDS starts with "url": the loop stores it stripped, like every other field.
    item: dict[str, Any] = {}
    dropped: list[str] = []
    for field in FIELDS:
        value = obj.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            else:
                raise ItemError(f"field {field!r} must be a string, got {_kind(value)}")
        if clean:
            value = storable(value)
        value = value.strip()
        if not value:
            continue
        check = _CHECKS.get(field)
        if check is not None:
            value = check(field, value, dropped)
            if not value:
                continue
        item[field] = value
    if notes is not None:
        notes.extend(dropped)
    return item


def _cut(field: str, value: str, notes: list[str]) -> str:
    limit = MAX_LENGTH[field]
    if len(value) <= limit:
        return value
    notes.append(f"field {field!r} is {len(value):,} characters long: kept the first {limit:,}")
    return value[:limit]


def _address(field: str, value: str, notes: list[str]) -> str | None:
    if len(value) <= MAX_URL:
        return value
    notes.append(f"field {field!r} is longer than {MAX_URL:,} characters: dropped")
    return None


def _label(field: str, value: str, notes: list[str]) -> str | None:
    limit = MAX_LABEL[field]
    if len(value) <= limit:
        return value
    notes.append(f"field {field!r} is {value[:40]!r}, longer than {limit} characters: dropped")
    return None


# The check of each field that has one (the others are only made storable and stripped).
_CHECKS = {
    **dict.fromkeys(MAX_LENGTH, _cut),
    **dict.fromkeys(ADDRESS_FIELDS, _address),
    **dict.fromkeys(MAX_LABEL, _label),
}


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "value")
