"""A fast path for plain RSS 2.0: read the entries with lxml instead of feedparser.

Most real feeds are unremarkable RSS 2.0 in UTF-8; feedparser's generality costs about a
millisecond per document even when the document is tiny. This module reads such documents with
libxml2 and describes each entry the way feedparser would (the same keys and content types),
so that crawler.kinds.rss builds the item with the same code either way.

It accepts only what it can read exactly as feedparser does and returns None for anything
else, and the caller then uses feedparser: another charset, a DOCTYPE (entities), xml:base or
xml:lang, a Content-Language or Content-Location header, a document that is not well-formed,
an element it does not know inside an item, markup or entity-like text in a title, author
strings feedparser would split, dates it cannot read. tests/test_feed_corpus.py checks that
the two paths agree on every corpus document the fast path accepts.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from crawler.dates import to_utc_datetime
from crawler.documents import hardened_xml_parser

_ATOM = "{http://www.w3.org/2005/Atom}"
_ATOM_TYPES = {"text": "text/plain", "html": "text/html"}
# Feed-level Atom elements that no item field depends on.
_ATOM_FEED_IGNORED = {
    f"{{http://www.w3.org/2005/Atom}}{name}"
    for name in (
        "id",
        "updated",
        "link",
        "author",
        "contributor",
        "subtitle",
        "rights",
        "generator",
        "icon",
        "logo",
        "category",
    )
}
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
# Item children that either feed an item field or that no item field depends on.
_ITEM_FIELDS = {"title", "link", "description", "guid", "pubDate", "source"}
_ITEM_IGNORED = {
    "category",
    "comments",
    "{http://wellformedweb.org/CommentAPI/}commentRss",
    "{http://purl.org/rss/1.0/modules/slash/}comments",
}
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_ENTITY_LIKE = re.compile(r"&#?\w+;")
_UTF8 = {"utf-8", "utf8"}
_C1 = re.compile("[\x80-\x9f]")


class _NotPlain(Exception):
    """The document needs feedparser."""


def _parser() -> etree.XMLParser:
    return hardened_xml_parser(remove_comments=True, remove_pis=True, strip_cdata=True)


def _text(element: etree._Element) -> str:
    """The text of a leaf element; anything with child elements needs feedparser, and so does
    text with C1 control characters (feedparser reads those as windows-1252 and repairs
    double-encoded UTF-8)."""
    if len(element):
        raise _NotPlain
    text = element.text or ""
    if _C1.search(text):
        raise _NotPlain
    return text


def _eligible(body: bytes, headers: dict[str, str]) -> bool:
    content_type = headers.get("content-type", "")
    charset = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    if charset and charset.group(1).lower() not in _UTF8:
        return False
    if headers.get("content-language") or headers.get("content-location"):
        return False
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"<!DOCTYPE" in body or b"xml:" in body:
        return False
    declared = _XML_DECLARATION.match(body)
    return not (declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8)


def _entry(item: etree._Element) -> dict[str, Any]:
    """A feedparser-shaped entry for one <item>."""
    fields: dict[str, etree._Element] = {}
    author = None
    encoded = None
    enclosure = False
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in _ITEM_FIELDS:
            if tag in fields:
                raise _NotPlain
            fields[tag] = child
        elif tag == f"{_DC}creator" or tag == "author":
            if author is not None:
                raise _NotPlain
            author = _text(child)
            if "@" in author or "(" in author or "<" in author or "&" in author:
                raise _NotPlain
        elif tag == f"{_CONTENT}encoded":
            if encoded is not None:
                raise _NotPlain
            encoded = _text(child)
        elif tag == "enclosure":
            enclosure = True
        elif tag in _ITEM_IGNORED:
            _text(child)  # an element inside would be read by feedparser as the item's
        else:
            raise _NotPlain

    entry: dict[str, Any] = {}
    if "title" in fields:
        title = _text(fields["title"])
        if "<" in title or _ENTITY_LIKE.search(title):
            raise _NotPlain
        entry["title"] = title
        entry["title_detail"] = {"type": "text/plain"}
    if "link" in fields:
        entry["link"] = _text(fields["link"]).strip()
    elif enclosure:
        raise _NotPlain
    if "guid" in fields:
        guid = _text(fields["guid"]).strip()
        if "link" not in fields and not guid.lower().startswith(("http://", "https://")):
            raise _NotPlain
        entry["id"] = guid
    if "description" in fields:
        entry["summary"] = _text(fields["description"])
        entry["summary_detail"] = {"type": "text/html"}
    if encoded is not None:
        entry["content"] = [{"value": encoded, "type": "text/html"}]
    if "pubDate" in fields:
        raw = _text(fields["pubDate"]).strip()
        if raw and to_utc_datetime(raw) is None:
            raise _NotPlain
        if raw:
            entry["published"] = raw
    if "source" in fields:
        entry["source"] = {
            "title": _text(fields["source"]),
            "href": fields["source"].get("url"),
        }
    if author is not None:
        entry["author"] = author
    if "link" in fields or entry.get("id"):
        entry["links"] = []
    return entry


def read_plain_feed(body: bytes, headers: dict[str, str]) -> tuple[dict, list[dict]] | None:
    """(feed, entries) shaped like feedparser's for a plain RSS 2.0 or Atom 1.0 document,
    else None (the caller then uses feedparser)."""
    if not _eligible(body, headers):
        return None
    try:
        root = etree.fromstring(body, _parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    try:
        if root.tag == f"{_ATOM}feed":
            return _atom(root)
        if root.tag == "rss" and root.get("version") == "2.0":
            return _rss(root)
    except _NotPlain:
        return None
    return None


def _rss(root: etree._Element) -> tuple[dict, list[dict]] | None:
    channels = [c for c in root if c.tag == "channel"]
    if len(channels) != 1 or len(root) != 1:
        return None
    feed: dict[str, Any] = {}
    entries: list[dict] = []
    for child in channels[0]:
        tag = child.tag
        if tag == "item":
            entries.append(_entry(child))
        elif tag in ("title", f"{_DC}title"):
            if "title" in feed:
                raise _NotPlain
            title = _text(child)
            if "<" in title or "&" in title:
                raise _NotPlain
            feed["title"] = title
            feed["title_detail"] = {"type": "text/plain"}
        elif tag in ("language", f"{_DC}language"):
            if "language" in feed:
                raise _NotPlain
            feed["language"] = _text(child).strip()
        elif tag == "ttl":
            feed["ttl"] = _text(child).strip()
        elif tag == f"{_SY}updatePeriod":
            feed["sy_updateperiod"] = _text(child).strip()
        elif tag == f"{_SY}updateFrequency":
            feed["sy_updatefrequency"] = _text(child).strip()
    return feed, entries


def _construct(element: etree._Element) -> tuple[str, dict[str, str]]:
    """An Atom text construct's value and feedparser's detail for it (type text or html)."""
    kind = element.get("type", "text")
    if kind not in _ATOM_TYPES or element.get("src") is not None:
        raise _NotPlain
    value = _text(element)
    if kind == "text" and ("<" in value or _ENTITY_LIKE.search(value)):
        raise _NotPlain
    return value, {"type": _ATOM_TYPES[kind]}


def _atom_date(element: etree._Element) -> str | None:
    raw = _text(element).strip()
    if raw and to_utc_datetime(raw) is None:
        raise _NotPlain
    return raw or None


def _atom_entry(element: etree._Element) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = tag.removeprefix(_ATOM)
        if name in seen and name != "category":
            raise _NotPlain
        seen.add(name)
        if name == "title":
            entry["title"], entry["title_detail"] = _construct(child)
        elif name == "summary":
            entry["summary"], entry["summary_detail"] = _construct(child)
        elif name == "content":
            value, detail = _construct(child)
            entry["content"] = [{"value": value, **detail}]
        elif name == "link":
            if child.get("rel", "alternate") != "alternate" or child.get("type", "text/html") != (
                "text/html"
            ):
                raise _NotPlain
            _text(child)
            entry["link"] = (child.get("href") or "").strip()
            entry["links"] = []
        elif name == "id":
            entry["id"] = _text(child).strip()
        elif name in ("published", "updated"):
            raw = _atom_date(child)
            if raw:
                entry[name] = raw
        elif name == "author":
            names = list(child)
            if len(names) != 1 or names[0].tag != f"{_ATOM}name" or (child.text or "").strip():
                raise _NotPlain
            author = _text(names[0])
            if "@" in author or "(" in author or "<" in author or "&" in author:
                raise _NotPlain
            entry["author"] = author
        elif name in ("category", "rights"):
            _text(child)
        else:
            raise _NotPlain
    if "summary" in entry and "content" in entry:
        raise _NotPlain  # feedparser copies content into summary depending on their order
    return entry


def _atom(root: etree._Element) -> tuple[dict, list[dict]]:
    feed: dict[str, Any] = {}
    entries: list[dict] = []
    for child in root:
        tag = child.tag
        if tag == f"{_ATOM}entry":
            entries.append(_atom_entry(child))
        elif tag == f"{_ATOM}title":
            if "title" in feed:
                raise _NotPlain
            title, detail = _construct(child)
            if "<" in title or "&" in title:
                raise _NotPlain
            feed["title"], feed["title_detail"] = title, detail
        elif tag not in _ATOM_FEED_IGNORED:
            raise _NotPlain  # feedparser reads e.g. a stray <item> as an entry
    return feed, entries
