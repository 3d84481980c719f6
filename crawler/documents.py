"""What every reader of a fetched document shares: the size limit and gzip, a hardened XML
parser, and the clean-up of URLs, language tags and error messages found in documents.

The readers of crawler/kinds/ are pure functions of the bytes Scrapy fetched; these helpers are
too (no network, no files).
"""

from __future__ import annotations

import zlib
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

GZIP_MAGIC = b"\x1f\x8b"
#: The sitemap protocol caps an uncompressed sitemap at 50 MiB; more is a decompression bomb.
#: Feeds get the same limit (the crawler's own download limit is lower).
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024


def decompress_gzip(body: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress a gzip body (all members), refusing to produce more than ``limit`` bytes.

    Raises ValueError when the output would exceed ``limit`` or the data is not valid gzip.
    """
    out = bytearray()
    data = body
    while data[:2] == GZIP_MAGIC:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            # max_length bounds memory however well the input compresses.
            out += inflater.decompress(data, limit - len(out) + 1)
        except zlib.error as exc:
            raise ValueError(f"invalid gzip data: {exc}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise ValueError(f"gzip body inflates to more than {limit} bytes")
        if not inflater.eof:
            raise ValueError("truncated gzip data")
        data = inflater.unused_data
    return bytes(out)


def unpack_body(body: bytes) -> bytes:
    """The document in ``body``: refused above the size limit, decompressed when gzip'd.

    Raises ValueError with a one-line reason."""
    if len(body) > MAX_DECOMPRESSED_BYTES:
        raise ValueError(f"body larger than {MAX_DECOMPRESSED_BYTES} bytes")
    if body[:2] == GZIP_MAGIC:
        return decompress_gzip(body)
    return body


def hardened_xml_parser(**options: Any) -> etree.XMLParser:
    """An lxml parser that expands no entities, loads no DTD, touches no network and keeps
    libxml2's size limits; ``options`` add lxml's own (recover, remove_comments...)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        **options,
    )


def http_url(candidate: Any, base: str) -> str | None:
    """``candidate`` resolved against ``base`` when it is an http(s) URL with a host, else None."""
    if not candidate or not isinstance(candidate, str):
        return None
    candidate = candidate.strip()
    if not candidate:
        return None
    try:
        absolute = urljoin(base, candidate) if base else candidate
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    # urlsplit lower-cases the scheme; so does the returned URL ("HTTP://" is valid too).
    return parts.scheme + absolute[len(parts.scheme) :]


def language_tag(*candidates: Any) -> str | None:
    """The first non-empty candidate as a lower-case language tag (``en_US`` -> ``en-us``)."""
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip().replace("_", "-").lower()
    return None


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, whitespace collapsed, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
