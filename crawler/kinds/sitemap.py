"""Turn fetched sitemap bytes into items (pure functions, no network).

Reads ``<urlset>`` sitemaps, including the Google News extension (``news:title``,
``news:publication_date``, ``news:publication/news:name`` and ``news:language``) that Scrapy's
SitemapSpider discards, and ``<sitemapindex>`` documents, whose child sitemaps are returned for
the caller to fetch. Plain-text sitemaps (one URL a line) are accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from crawler.dates import to_utc_iso
from crawler.documents import hardened_xml_parser, http_url, language_tag, one_line, unpack_body
from crawler.kinds import Reading

__all__ = ["SitemapResult", "parse_sitemap", "read"]

#: Child sitemaps of a sitemap index followed per target (news sitemaps are small and recent).
MAX_CHILD_SITEMAPS = 20
#: A sitemap index lists at most 50,000 sitemaps and a sitemap at most 50,000 URLs.
MAX_ENTRIES = 50_000


@dataclass
class SitemapResult:
    """Outcome of :func:`parse_sitemap`.

    ``items`` follow the crawler's item contract; ``sitemaps`` are child sitemap URLs of a
    sitemap index; ``error`` is a one-line description when the document was malformed,
    truncated or not a sitemap (items read before the problem are still returned);
    ``dropped`` counts entries skipped for lack of a usable http(s) URL.
    """

    items: list[dict] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    error: str | None = None
    dropped: int = 0


def _localname(element: etree._Element) -> str:
    try:
        tag = element.tag
    except UnicodeDecodeError:  # a namespace with invalid UTF-8, let through by recover mode
        return ""
    if not isinstance(tag, str):  # comments, processing instructions, entity references
        return ""
    return tag.rpartition("}")[2]


def _text(element: etree._Element | None) -> str | None:
    """Text content of an element, whitespace collapsed; unresolved entity references (which
    the secure parser leaves in the tree) contribute nothing."""
    if element is None:
        return None
    try:
        pieces = [element.text or ""]
        for child in element:
            if isinstance(child.tag, str):
                pieces.append(_text(child) or "")
            pieces.append(child.tail or "")
    except UnicodeDecodeError:
        # In recover mode libxml2 lets invalid UTF-8 through, and lxml fails to decode it.
        return None
    text = " ".join("".join(pieces).split())
    return text or None


def _children(element: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in element:
        name = _localname(child)
        if name and name not in found:
            found[name] = child
    return found


def _url_item(entry: etree._Element, *, url: str, source: str, now: datetime | None) -> dict | None:
    fields = _children(entry)
    loc = http_url(_text(fields.get("loc")), url)
    if loc is None:
        return None
    lastmod = _text(fields.get("lastmod"))
    title = publication_date = language = publication_name = None
    news = fields.get("news")
    if news is not None:
        news_fields = _children(news)
        title = _text(news_fields.get("title"))
        publication_date = _text(news_fields.get("publication_date"))
        publication = news_fields.get("publication")
        if publication is not None:
            publication_fields = _children(publication)
            publication_name = _text(publication_fields.get("name"))
            language = language_tag(_text(publication_fields.get("language")))
    updated = to_utc_iso(lastmod, now=now)
    published = to_utc_iso(publication_date, now=now) if publication_date else None
    return {
        "url": loc,
        "title": title,
        "summary": None,
        "published": published or updated,
        "source": source,
        "feed_url": url,
        "language": language,
        "guid": loc,
        "author": None,
        "updated": updated,
        "published_source": "sitemap",
        "source_url": None,
        "publication_name": publication_name,
    }


def _parse_text_sitemap(body: bytes, *, url: str, source: str) -> SitemapResult:
    result = SitemapResult()
    for raw in body.decode("utf-8", "replace").splitlines():
        if len(result.items) >= MAX_ENTRIES:
            result.error = f"more than {MAX_ENTRIES} URLs; the rest were ignored"
            break
        # Text sitemaps hold absolute URLs only: a line of prose must not become a URL.
        line = raw.strip()
        loc = http_url(line, "") if line and not any(c.isspace() for c in line) else None
        if loc is None:
            if raw.strip():
                result.dropped += 1
            continue
        result.items.append(
            {
                "url": loc,
                "title": None,
                "summary": None,
                "published": None,
                "source": source,
                "feed_url": url,
                "language": None,
                "guid": loc,
                "author": None,
                "updated": None,
                "published_source": "sitemap",
                "source_url": None,
                "publication_name": None,
            }
        )
    return result


def _xml_parser(recover: bool) -> etree.XMLParser:
    # No entity expansion, no DTD or network access, libxml2's size limits kept.
    return hardened_xml_parser(remove_comments=True, remove_pis=True, recover=recover)


def _parse_xml(body: bytes) -> tuple[etree._Element | None, str | None]:
    try:
        return etree.fromstring(body, _xml_parser(recover=False)), None
    except etree.XMLSyntaxError as exc:
        error = f"malformed XML: {one_line(str(exc))}"
    # A truncated or sloppy sitemap still yields the URLs before the damage.
    try:
        root = etree.fromstring(body, _xml_parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    return root, error


def _parse(body: bytes, *, url: str, source: str, now: datetime | None) -> SitemapResult:
    try:
        body = unpack_body(body)
    except ValueError as exc:
        return SitemapResult(error=one_line(str(exc)))
    stripped = body.strip()
    if not stripped:
        return SitemapResult(error="empty body")
    if stripped[:7].lower() == b"http://" or stripped[:8].lower() == b"https://":
        return _parse_text_sitemap(stripped, url=url, source=source)

    root, error = _parse_xml(body)
    result = SitemapResult(error=error)
    if root is None:
        result.error = error or "not XML"
        return result
    kind = _localname(root)
    if kind == "sitemapindex":
        for child in root:
            if _localname(child) != "sitemap":
                continue
            if len(result.sitemaps) >= MAX_ENTRIES:
                result.error = result.error or f"more than {MAX_ENTRIES} sitemaps; rest ignored"
                break
            loc = http_url(_text(_children(child).get("loc")), url)
            if loc is None:
                result.dropped += 1
            else:
                result.sitemaps.append(loc)
    elif kind == "urlset":
        for child in root:
            if _localname(child) != "url":
                continue
            if len(result.items) >= MAX_ENTRIES:
                result.error = result.error or f"more than {MAX_ENTRIES} URLs; rest ignored"
                break
            try:
                item = _url_item(child, url=url, source=source, now=now)
            except Exception:  # noqa: BLE001 - one odd entry must not cost the others
                item = None
            if item is None:
                result.dropped += 1
            else:
                result.items.append(item)
    else:
        result.error = result.error or f"not a sitemap (root element <{kind or '?'}>)"
    return result


def parse_sitemap(
    body: bytes, *, url: str, source: str, now: datetime | None = None
) -> SitemapResult:
    """Parse a fetched sitemap, sitemap index or gzip'd sitemap into items and child sitemaps.

    ``url`` is the final URL the body came from (relative locations are resolved against it);
    ``source`` is the caller's source key; ``now`` is the reference time for rejecting
    implausible dates (default: the current time). Items carry ``published`` from
    ``news:publication_date``, else ``<lastmod>``; ``updated`` from ``<lastmod>``; ``title``
    and ``language`` from the news extension; ``publication_name`` from ``news:name``.
    Never raises.
    """
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        return _parse(bytes(body or b""), url=url, source=source, now=now)
    except Exception as exc:  # noqa: BLE001 - a hostile document must not stop a crawl
        return SitemapResult(error=one_line(f"sitemap parsing failed: {exc!r}"))


def read(response: Any, target: dict[str, Any], *, page: int, now: datetime) -> Reading:
    """The ``sitemap`` kind: a sitemap's URLs as items; a sitemap index's child sitemaps (on
    the target's own URL only) as URLs to follow."""
    result = parse_sitemap(response.body, url=response.url, source=target["source"], now=now)
    reading = Reading(items=result.items)
    if page == 1:
        reading.follow = result.sitemaps[:MAX_CHILD_SITEMAPS]
    if result.error and not (reading.items or reading.follow):
        reading.error = result.error
    elif result.error:
        reading.warning = result.error
    elif not (reading.items or reading.follow):
        reading.warning = "the sitemap lists no URLs"
    return reading
