"""Stage: canonical URLs, matching keys for titles, and content hashes.

The canonical URL identifies an article across feeds, tracking links and AMP copies; the title
key is for matching only (the stored title stays as published).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from pipeline.canonical import canonical_url, preferred_url
from pipeline.textnorm import normalize_for_matching, normalize_many

_SEPARATORS = r"\s*[-–—|:•·]\s+"


@lru_cache(maxsize=4096)
def _outlet_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for "Outlet: title", "Outlet | title", "title - Outlet", "title | Outlet"."""
    escaped = "|".join(re.escape(n.strip()) for n in names if n and n.strip())
    if not escaped:
        return None
    return re.compile(
        rf"^\s*(?:{escaped})\s*[:|\-–—•·]\s+|\s+[-–—|:•·]\s*(?:{escaped})\s*$", re.IGNORECASE
    )


def strip_outlet(title: str, outlet_names: Iterable[str] = ()) -> str:
    """The title without the outlet's name as a prefix or suffix (NFKC first)."""
    return _strip_outlet(title, _outlet_pattern(tuple(outlet_names)))


# Both forms of the outlet pattern need one of these separators: without one, nothing matches.
_HAS_SEPARATOR = re.compile(r"[:|\-–—•·]").search


def _strip_outlet(title: str, pattern: re.Pattern[str] | None) -> str:
    text = unicodedata.normalize("NFKC", title).strip()
    if pattern is None or not _HAS_SEPARATOR(text):
        return text
    stripped = pattern.sub("", text).strip()
    return stripped or text


def title_key(title: str | None, outlet_names: Iterable[str] = ()) -> str | None:
    """Case-, punctuation- and outlet-insensitive form of a title, for matching only.

    The outlet's name is removed as a prefix or suffix, then the text is normalized as queries
    see it (``textnorm``: case folding, Arabic-script letter variants, ZWNJ and diacritics,
    punctuation to spaces).
    """
    if not title:
        return None
    return normalize_for_matching(strip_outlet(title, outlet_names)) or None


def title_keys(titles: Sequence[object], outlet_names: Sequence[Iterable[str]]) -> list[str | None]:
    """``title_key`` for many titles at once (the normalization is vectorized)."""
    stripped = [
        _strip_outlet(t, _outlet_pattern(tuple(names))) if isinstance(t, str) and t else ""
        for t, names in zip(titles, outlet_names, strict=True)
    ]
    return [key or None for key in normalize_many(stripped)]


def content_hash(*parts: str | None) -> str:
    joined = "\x1f".join(p or "" for p in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=16).hexdigest()


def normalize(frame: pd.DataFrame, outlet_names: dict[str, list[str]]) -> pd.DataFrame:
    """Add ``canonical_url``, ``title_key`` and ``content_hash``.

    ``outlet_names`` maps a source key to the names its titles may carry as prefix or suffix.
    A page's own ``<link rel=canonical>`` (item field ``canonical``) wins over the feed link.
    """
    # Only columns are added: the caller's frame keeps its own (copy-on-write) data.
    frame = frame.copy(deep=False)
    # Plain lists: iterating pandas string arrays costs a Python call per value.
    titles = frame["title"].tolist()
    # preferred_url(url, None) is url: only rows with a canonical link need the call.
    preferred = [
        preferred_url(u, c, s if isinstance(s, str) else None) if isinstance(c, str) else u
        for u, c, s in zip(
            frame["url"].tolist(),
            frame["canonical"].tolist(),
            frame["source_url"].tolist(),
            strict=True,
        )
    ]
    frame["canonical_url"] = [canonical_url(u) for u in preferred]
    names = frame.get("source_name")
    extra = names.tolist() if names is not None else [None] * len(frame)
    candidates = [
        (*outlet_names.get(source, ()), name)
        if isinstance(name, str)
        else tuple(outlet_names.get(source, ()))
        for source, name in zip(frame["source"].tolist(), extra, strict=True)
    ]
    keys = title_keys(titles, candidates)
    frame["title_key"] = pd.array(keys, dtype="string")
    # content_hash(title, text if present else summary), inlined.
    blake2b = hashlib.blake2b
    hashes = []
    for title, text, summary in zip(
        titles, frame["text"].tolist(), frame["summary"].tolist(), strict=True
    ):
        body = text if isinstance(text, str) else summary
        joined = (
            f"{title if isinstance(title, str) else ''}\x1f{body if isinstance(body, str) else ''}"
        )
        hashes.append(blake2b(joined.encode("utf-8"), digest_size=16).hexdigest())
    frame["content_hash"] = hashes
    return frame


def drop_exact_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per canonical URL: the one with the most text, then the earliest collected."""
    if frame.empty:
        return frame
    richness = frame["text"].fillna("").str.len() + frame["summary"].fillna("").str.len()
    # The choice is made on a frame of the keys and row positions; the wide frame is then
    # taken once (sorting and deduplicating it directly would copy every column three times).
    keys = pd.DataFrame(
        {
            "_richness": richness.array,
            "collected_at": frame["collected_at"].array,
            "canonical_url": frame["canonical_url"].array,
            "_position": np.arange(len(frame)),
        },
        index=frame.index,
    )
    order = keys.sort_values(["_richness", "collected_at"], ascending=[False, True], kind="stable")
    kept = order.drop_duplicates("canonical_url").sort_index()
    result = frame.take(kept["_position"].to_numpy())
    result.index = kept.index  # the same labels; sort_index may have made them a RangeIndex
    return result
