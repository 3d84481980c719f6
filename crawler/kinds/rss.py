"""Turn fetched RSS/Atom/RDF bytes into items (pure functions, no network).

Scrapy fetches; feedparser only ever sees the bytes we hand it, wrapped in a stream, because
given a URL or a string it would fetch or open files on its own.

feedparser runs with HTML sanitizing and relative-URI resolution of content switched off: the
crawler keeps plain text only (tags are stripped here in one linear pass and two regular
expressions), so both passes would be pure cost, and on feeds of real size they take most of
feedparser's time.

Plain RSS 2.0 and Atom 1.0 in UTF-8, most real feeds, are read by crawler.kinds.rss_fast with lxml
instead, into the same feedparser-shaped entries; anything unusual still goes to feedparser.

Hostile input: documents whose DOCTYPE declares entities are refused (feedparser's fallback
parser expands them without limit); feedparser's crashes on malformed documents are retried
with a repaired document; nothing here raises.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import re
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import charset_normalizer
import feedparser
from feedparser.encodings import RE_XML_PI_ENCODING, convert_to_utf8
from lxml import etree

from crawler.dates import REGIONAL_ZONES, plausible, to_utc_datetime, to_utc_iso
from crawler.documents import hardened_xml_parser, http_url, language_tag, one_line, unpack_body
from crawler.kinds import Reading
from crawler.kinds.rss_fast import read_plain_feed

__all__ = ["FeedResult", "html_to_text", "parse_feed", "read"]

#: When a feed's declared charset is wrong, feedparser falls back to windows-1252; outlets in the
#: region that mislabel their feeds use the Arabic-script code page, so that is weighed too.
_FALLBACK_CHARSETS = ["cp1252", "cp1256"]
_FEEDPARSER_FALLBACKS = {"windows-1252", "iso-8859-2"}

_HTML_TYPES = {"text/html", "application/xhtml+xml", "html", "xhtml"}
# Every pattern stops at the next "<": with "[^>]*" an unclosed "<a" would scan to the end of
# the text, and thousands of them would make stripping quadratic.
_HIDDEN_START = re.compile(r"<(script|style|noscript|template)\b|<!--|<!\[CDATA\[", re.I)
_HIDDEN_END = {
    tag: re.compile(rf"</{tag}\b[^<>]*>", re.I)
    for tag in ("script", "style", "noscript", "template")
}
_BLOCK_TAGS = re.compile(
    r"</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]"
    r"|header|hr|li|main|nav|ol|p|pre|section|table|td|th|tr|ul)\b[^<>]*>",
    re.I,
)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>")

_GNEWS_SEPARATOR = " - "
_DECLARED = re.compile(r"declared as (.+?), but")
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")
_REPLACEMENT_REF = b"&#xFFFD;"
_CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}")

# ttl is in minutes; sy:updatePeriod is divided by sy:updateFrequency.
_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_MAX_TTL_SECONDS = 365 * 86400


@dataclass
class FeedResult:
    """Outcome of :func:`parse_feed`.

    ``items`` follow the crawler's item contract. ``is_feed`` is False when the body is not a
    feed at all (an HTML page, an empty body, a document refused before parsing). ``error`` is
    a one-line description when the document is malformed or was refused; items parsed before
    the damage are still returned. ``ttl_seconds`` comes from ``<ttl>`` or
    ``sy:updatePeriod``/``sy:updateFrequency``. ``entries`` counts the document's entries and
    ``dropped`` those that yielded no item (no usable http(s) URL, or broken).
    """

    items: list[dict]
    is_feed: bool
    error: str | None
    title: str | None
    ttl_seconds: int | None
    entries: int
    dropped: int = 0


def _drop_hidden(value: str) -> str:
    """Remove script/style/noscript/template elements and comments, unwrap CDATA sections.

    One left-to-right pass: an unclosed element hides the rest of the text, so the work stays
    linear whatever the input. (Searching a lower-cased copy would be simpler, but lower() can
    change the length of a string, "İstanbul" for one, and shift every index after it.)"""
    pieces: list[str] = []
    position = 0
    while (start := _HIDDEN_START.search(value, position)) is not None:
        pieces.append(value[position : start.start()])
        marker = start.group(0)
        if marker[:3] == "<![":
            close = value.find("]]>", start.end())
            end = len(value) if close == -1 else close
            pieces.append(value[start.end() : end])
            position = min(len(value), end + 3)
            continue
        if marker == "<!--":
            close = value.find("-->", start.end())
            position = len(value) if close == -1 else close + 3
        else:
            end_tag = _HIDDEN_END[start.group(1).lower()].search(value, start.end())
            position = len(value) if end_tag is None else end_tag.end()
        pieces.append(" ")
    pieces.append(value[position:])
    return "".join(pieces)


def html_to_text(value: str | None) -> str:
    """Plain text of an HTML fragment: scripts, styles and comments removed, tags dropped
    (block-level tags become spaces), entities decoded, whitespace collapsed."""
    if not value:
        return ""
    if "<" in value:
        value = _drop_hidden(value)
        value = _BLOCK_TAGS.sub(" ", value)
        value = _ANY_TAG.sub("", value)
    if "&" in value:
        value = html.unescape(value)
    return " ".join(value.split())


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "malformed document"
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    where = ""
    if hasattr(exc, "getLineNumber"):
        try:
            where = f" (line {exc.getLineNumber()}, column {exc.getColumnNumber()})"
        except Exception:  # noqa: BLE001 - position is a nicety
            where = ""
    return one_line(f"{type(exc).__name__}: {text}{where}")


def _header_map(headers: Mapping[Any, Any] | None) -> dict[str, str]:
    """Lower-cased str headers from a plain mapping or Scrapy's bytes-valued Headers."""
    result: dict[str, str] = {}
    if not headers:
        return result
    for key, value in headers.items():
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        result[str(key).lower()] = str(value)
    return result


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip("\"'")
            # Only a well-formed name reaches the codec lookup.
            return value if _CHARSET_NAME.fullmatch(value) else None
    return None


def _base_url(url: str, content_location: str | None) -> str:
    if content_location:
        resolved = http_url(content_location, url)
        if resolved:
            return resolved
    return url if http_url(url, "") else ""


def _declares_entities(utf8: bytes) -> bool:
    # feedparser keeps "safe" internal entities and its fallback parser expands them with no
    # limit: a 160 KB document declaring one 100 KB entity used 20,000 times became a 2 GB
    # title (5.7 GB of memory, 47 s). Real feeds do not declare entities, so such documents
    # are refused. The check runs on the UTF-8 text feedparser will parse, so UTF-16/32,
    # EBCDIC, UTF-7 or unicode_escape encodings cannot hide the declaration.
    doctype = utf8.find(b"<!DOCTYPE")
    return doctype != -1 and utf8.find(b"<!ENTITY", doctype) != -1


def _codec(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _detect_charset(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body, cp_isolation=_FALLBACK_CHARSETS).best()
    return best.encoding if best is not None else None


def _prepare(body: bytes, headers: dict[str, str], base: str) -> tuple[bytes, dict, str | None]:
    """Decide the character encoding and return (utf-8 bytes for feedparser, the headers to
    give it, an encoding warning)."""
    charset = _charset(headers.get("content-type", ""))
    feed_headers: dict[str, str] = {}
    if headers.get("content-language"):
        feed_headers["content-language"] = headers["content-language"]

    def convert(charset: str | None) -> tuple[bytes, dict]:
        # Present every body as application/xml: the charset parameter, then the BOM, then the
        # XML declaration decide (RFC 7303). feedparser's RFC 3023 rules would otherwise read
        # text/xml without a charset as US-ASCII, and a missing Content-Type as ISO-8859-1.
        media = "application/xml" + (f"; charset={charset}" if charset else "")
        scratch: dict = {}
        return convert_to_utf8({**feed_headers, "content-type": media}, body, scratch), scratch

    try:
        utf8, scratch = convert(charset)
    except ValueError:
        # feedparser's sniffing raises on a stray byte (non-UTF-8, NUL) in encoding="...": blank
        # the declared name (found with feedparser's own pattern) and let the other clues decide.
        match = RE_XML_PI_ENCODING.match(body)
        if match is None:
            raise
        body = body[: match.start(1)] + body[match.end(1) :]
        utf8, scratch = convert(charset)
        scratch.setdefault("bozo_exception", ValueError("unreadable encoding declaration"))
    exc = scratch.get("bozo_exception")
    if isinstance(exc, feedparser.CharacterEncodingOverride) and (
        scratch.get("encoding") in _FEEDPARSER_FALLBACKS
    ):
        # The declared charset was wrong and feedparser fell back to windows-1252, which never
        # fails and turns Arabic-script text into Latin mojibake. Weigh the alternatives.
        detected = _detect_charset(body)
        if detected and _codec(detected) != _codec(scratch["encoding"]):
            retry, retry_scratch = convert(detected)
            if _codec(retry_scratch.get("encoding")) == _codec(detected):
                declared = _DECLARED.search(str(exc))
                utf8, scratch = retry, retry_scratch
                scratch["bozo_exception"] = feedparser.CharacterEncodingOverride(
                    f"document declared as {declared.group(1) if declared else charset}, "
                    f"but parsed as {detected}"
                )
    warning = scratch.get("bozo_exception")
    feed_headers["content-type"] = "application/xml; charset=utf-8"
    return utf8, feed_headers, _describe(warning) if warning is not None else None


def _text_of(entry: Mapping, key: str) -> str | None:
    value = entry.get(key)
    if not value or not isinstance(value, str):
        return None
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") in _HTML_TYPES or (not detail and ("<" in value or "&" in value)):
        text = html_to_text(value)
    else:
        text = " ".join(value.split())
    return text or None


def _summary(entry: Mapping) -> str | None:
    summary = _text_of(entry, "summary")
    if summary:
        return summary
    for content in entry.get("content") or ():
        value = content.get("value")
        if not value:
            continue
        if content.get("type") in _HTML_TYPES:
            text = html_to_text(value)
        else:
            text = " ".join(value.split())
        if text:
            return text
    return None


def _entry_url(entry: Mapping, base: str) -> str | None:
    entry_id = entry.get("id")
    link = entry.get("link")
    # feedparser copies a guid/id without a <link> into "link" (guidislink); such an id counts
    # only as an absolute http(s) URL, so an Atom id like "2" never becomes <base>/2.
    if not (link and link == entry_id and dict.get(entry, "guidislink")):
        url = http_url(link, base)
        if url:
            return url
    if isinstance(entry_id, str) and entry_id.strip().lower().startswith(("http://", "https://")):
        url = http_url(entry_id, "")
        if url:
            return url
    links = entry.get("links") or ()
    for wanted in ("alternate", "enclosure"):
        for candidate in links:
            if candidate.get("rel", "alternate") == wanted:
                url = http_url(candidate.get("href"), base)
                if url:
                    return url
    return None


def _entry_datetime(entry: Mapping, key: str) -> datetime | None:
    # dict.get, not entry.get: FeedParserDict answers "updated" with the published date (and a
    # DeprecationWarning) when an entry has no update date of its own.
    raw = dict.get(entry, key)
    if isinstance(raw, str):
        zone = raw.strip().rpartition(" ")[2].upper()
        if zone in REGIONAL_ZONES:
            # feedparser reads unknown zone names as UTC: PKT would be five hours off.
            regional = to_utc_datetime(raw)
            if regional is not None:
                return regional
    parsed = dict.get(entry, f"{key}_parsed")
    if parsed:
        return to_utc_datetime(parsed)
    if isinstance(raw, str):
        # feedparser gives up on RFC 822 dates without a zone; read those as UTC.
        return to_utc_datetime(raw)
    return None


def _ttl_seconds(feed: Mapping) -> int | None:
    ttl = feed.get("ttl")
    try:
        minutes = float(str(ttl).strip()) if ttl else 0.0
    except ValueError:
        minutes = 0.0
    if 0 < minutes * 60 <= _MAX_TTL_SECONDS:
        return int(minutes * 60)
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    try:
        frequency = float(str(feed.get("sy_updatefrequency") or "1").strip())
    except ValueError:
        frequency = 1.0
    if frequency <= 0:
        frequency = 1.0
    seconds = int(period / frequency)
    return seconds if 0 < seconds <= _MAX_TTL_SECONDS else None


def _build_item(
    entry: Mapping,
    *,
    feed: Mapping,
    base: str,
    url: str,
    source: str,
    kind: str,
    now: datetime,
) -> dict:
    # feedparser has applied xml:base to the links it resolves (with no document URL given, a
    # relative xml:base stays relative); the document URL completes them and the ones it
    # leaves alone (RSS enclosures).
    link = _entry_url(entry, base)
    title = _text_of(entry, "title")
    summary = _summary(entry)

    published = None
    for key in ("published", "updated", "created"):
        candidate = _entry_datetime(entry, key)
        if candidate is not None and plausible(candidate, now):
            published = candidate
            break
    updated = _entry_datetime(entry, "updated")

    entry_id = entry.get("id")
    guid = entry_id.strip() if isinstance(entry_id, str) and entry_id.strip() else None
    if guid is None:
        guid = link
    if guid is None:
        digest = hashlib.sha256(f"{title or ''}\n{summary or ''}".encode()).hexdigest()
        guid = f"sha256:{digest[:32]}"

    item_source = source
    source_url = None
    if kind == "gnews":
        outlet = entry.get("source") or {}
        outlet_name = " ".join(str(outlet.get("title") or "").split())
        if outlet_name:
            item_source = outlet_name
            suffix = f"{_GNEWS_SEPARATOR}{outlet_name}"
            if (
                title
                and len(title) > len(suffix)
                and (title[-len(suffix) :].casefold() == suffix.casefold())
            ):
                title = title[: -len(suffix)].rstrip()
        source_url = http_url(outlet.get("href"), "")

    author = entry.get("author")
    author = (" ".join(author.split()) or None) if isinstance(author, str) else None
    language = language_tag(
        entry.get("language"),
        (entry.get("title_detail") or {}).get("language"),
        (entry.get("summary_detail") or {}).get("language"),
        feed.get("language"),
    )
    return {
        "url": link,
        "title": title,
        "summary": summary,
        "published": to_utc_iso(published, check=False) if published else None,
        "source": item_source,
        "feed_url": url,
        "language": language,
        "guid": guid,
        "author": author,
        "updated": to_utc_iso(updated, now=now) if updated else None,
        "published_source": "feed",
        "source_url": source_url,
    }


def _valid_char_ref(match: re.Match[bytes]) -> bytes:
    ref = match.group(1)
    try:
        code = int(ref[1:], 16) if ref[:1] in b"xX" else int(ref)
    except ValueError:
        return _REPLACEMENT_REF
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return _REPLACEMENT_REF
    return match.group(0)


def _neutralize_char_refs(utf8: bytes) -> bytes:
    return _CHAR_REF.sub(_valid_char_ref, utf8)


def _rebuild_xml(utf8: bytes) -> bytes | None:
    parser = hardened_xml_parser(recover=True)
    root = etree.fromstring(_neutralize_char_refs(utf8), parser)
    if root is None:
        return None
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


# feedparser asks xml.sax for the "drv_libxml2" driver before expat on every call; that module
# does not exist, and a failed import is not cached, so each call searched sys.path again (a
# fifth of parse_feed's time on small documents). Expat is what it ends up with anyway.
feedparser.api.PREFERRED_XML_PARSERS = []


def _feedparser_parse(utf8: bytes, feed_headers: dict[str, str]) -> Any:
    # A stream, never bytes or str: feedparser would try those as a URL or a file path.
    return feedparser.parse(
        io.BytesIO(utf8),
        response_headers=feed_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _slow_parse(
    body: bytes, header_map: dict[str, str], base: str
) -> FeedResult | tuple[Mapping, list, bool, str | None]:
    """feedparser's reading of a document: (feed, entries, is_feed, error), or a FeedResult
    when the document is refused."""
    utf8, feed_headers, encoding_warning = _prepare(body, header_map, base)
    if _declares_entities(utf8):
        return FeedResult(
            [], False, "refused: DOCTYPE declares entities (entity expansion)", None, None, 0
        )
    if base and b"xml:base" in utf8:
        # A relative xml:base needs the document URL to resolve against. Without xml:base,
        # links are completed below with one urljoin each, far cheaper than feedparser
        # resolving every link and id against a base.
        feed_headers["content-location"] = base

    # feedparser's fallback parser for malformed documents has crash bugs (character references
    # to surrogates, stray end tags of <width>, <height>, psc:chapter...). Rather than lose the
    # document, retry with those references neutralized, then with the document rebuilt as
    # well-formed XML by libxml2's recovering parser, which feedparser's strict path handles.
    parsed = None
    failures: list[Exception] = []
    for repair in (None, _neutralize_char_refs, _rebuild_xml):
        try:
            data = repair(utf8) if repair else utf8
            if data is None:
                continue
            parsed = _feedparser_parse(data, feed_headers)
            break
        except Exception as exc:  # noqa: BLE001 - see above
            failures.append(exc)
    if parsed is None:
        return FeedResult([], False, one_line(f"feedparser failed: {failures[0]!r}"), None, None, 0)
    feed = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    is_feed = bool(parsed.get("version")) or bool(entries)

    error = None
    if failures:
        error = one_line(f"malformed document, repaired before parsing: {failures[0]!r}")
    elif parsed.get("bozo"):
        bozo = parsed.get("bozo_exception")
        error = _describe(bozo)
        if isinstance(bozo, xml.sax.SAXParseException):
            error = "malformed XML, read up to the damage: " + error
    if error is None and encoding_warning:
        error = encoding_warning
    if not is_feed:
        error = "not a feed: no RSS, RDF or Atom document" + (f" ({error})" if error else "")
    return feed, entries, is_feed, error


def _parse(
    body: bytes,
    *,
    url: str,
    source: str,
    headers: Mapping[str, str] | None,
    kind: str,
    now: datetime | None,
    keep_without_url: bool,
    fast: bool = True,
) -> FeedResult:
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = bytes(body or b"")
    try:
        body = unpack_body(body)
    except ValueError as exc:
        return FeedResult([], False, one_line(str(exc)), None, None, 0)
    if not body.strip():
        return FeedResult([], False, "empty body", None, None, 0)

    now = now or datetime.now(UTC)
    header_map = _header_map(headers)
    base = _base_url(url, header_map.get("content-location"))
    plain = read_plain_feed(body, header_map) if fast else None
    if plain is not None:
        feed, entries = plain
        is_feed, error = True, None
    else:
        parsed = _slow_parse(body, header_map, base)
        if isinstance(parsed, FeedResult):
            return parsed
        feed, entries, is_feed, error = parsed

    items: list[dict] = []
    dropped = 0
    for entry in entries:
        try:
            item = _build_item(
                entry, feed=feed, base=base, url=url, source=source, kind=kind, now=now
            )
        except Exception:  # noqa: BLE001 - one broken entry must not cost the others
            dropped += 1
            continue
        if item["url"] is None and not keep_without_url:
            dropped += 1
            continue
        items.append(item)

    title = _text_of(feed, "title")
    return FeedResult(
        items=items,
        is_feed=is_feed,
        error=error,
        title=title,
        ttl_seconds=_ttl_seconds(feed),
        entries=len(entries),
        dropped=dropped,
    )


def parse_feed(
    body: bytes,
    *,
    url: str,
    source: str,
    headers: Mapping[str, str] | None = None,
    kind: str = "rss",
    now: datetime | None = None,
) -> FeedResult:
    """Parse fetched RSS 0.9x/1.0/2.0 or Atom 0.3/1.0 bytes into items.

    ``url`` is the final URL of the response (relative links resolve against it, or against its
    Content-Location header); ``source`` is the caller's source key; ``headers`` are the
    response headers (Content-Type's charset, Content-Location, Content-Language are used);
    ``kind="gnews"`` reads a Google News search feed, naming each item's outlet; ``now`` is the
    reference time for rejecting implausible dates. A gzip'd body is decompressed. Never raises:
    problems are reported in ``FeedResult.error``.
    """
    try:
        return _parse(
            body,
            url=url,
            source=source,
            headers=headers,
            kind=kind,
            now=now,
            keep_without_url=False,
        )
    except Exception as exc:  # noqa: BLE001 - a hostile document must not stop a crawl
        return FeedResult([], False, one_line(f"feed parsing failed: {exc!r}"), None, None, 0)


def read(response: Any, target: dict[str, Any], *, page: int, now: datetime) -> Reading:
    """The ``rss`` kind: one feed document of ``target`` as a Reading."""
    return read_feed(response, target, now=now, kind="rss")


def read_feed(response: Any, target: dict[str, Any], *, now: datetime, kind: str) -> Reading:
    """A fetched feed as a Reading: damage that cost every item, or a body that is no feed, is
    an error; damage the reader got past, and a feed without entries, are warnings."""
    result = parse_feed(
        response.body,
        url=response.url,
        source=target["source"],
        headers=response.headers,
        kind=kind,
        now=now,
    )
    reading = Reading(items=result.items, ttl=result.ttl_seconds)
    if not result.is_feed:
        reading.error = result.error or "not a feed"
    elif result.error and not result.items:
        reading.error = result.error
    elif result.error:
        reading.warning = result.error
    elif not result.entries:
        reading.warning = "the feed has no entries"
    return reading
