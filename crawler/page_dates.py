"""The original publication date of an article page, and where it was found.

The page is asked in this order, and the first plausible answer wins:

1. ``page``: what the page declares about itself: the JSON-LD ``datePublished`` of the
   article node (NewsArticle, ReportageNewsArticle, Article, BlogPosting ..., also inside
   ``@graph`` or a WebPage's ``mainEntity``; related-article lists are not the page),
   ``article:published_time`` and similar meta tags, ``itemprop="datePublished"``.
   When these disagree, the day that the URL or the byline confirms wins, else the earliest:
   publishers bump a publication stamp forward when they update or republish, never back.
2. ``url``: a full date as a path segment of the article's address (``/2025/10/26/``,
   ``/2025-10-26/``, ``/20251026/``), the day the CMS created the article.
3. ``page_text``: the date written for readers in the byline or date line (English, Urdu, Dari
   and Pashto, Solar Hijri included), and failing that htmldate's extensive search for the
   original date over the rest of the page.

Dates the page labels as modified (``dateModified``, ``article:modified_time``, an "Updated:"
line, "last modified" notes) never count as the publication date, nor do the dates of comments,
related stories, tickers and the masthead's date of today. Implausible dates (before 1995, more
than a day ahead) are skipped. A date without a time keeps its written day (midnight UTC); a
time with an offset is converted to UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from htmldate import find_date
from lxml import html as lxml_html

from crawler.dates import EARLIEST, MAX_FUTURE, plausible, to_utc_datetime
from crawler.written_dates import find_written_dates, fold_text

__all__ = ["SOURCE_PAGE", "SOURCE_PAGE_TEXT", "SOURCE_URL", "PageDate", "publication_date"]

SOURCE_PAGE = "page"
SOURCE_URL = "url"
SOURCE_PAGE_TEXT = "page_text"

# htmldate's original-date, extensive mode; the time and offset are kept where the page has them.
HTMLDATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


@dataclass(frozen=True)
class PageDate:
    """A page's publication time (ISO 8601 UTC) and the ``published_source`` it came from."""

    published: str
    source: str


@dataclass(frozen=True)
class _Claim:
    moment: datetime  # UTC
    local_day: date  # the calendar day as written, in the page's own offset
    timed: bool
    rank: int  # lower is more specific: JSON-LD article node, meta tag, microdata


# -- structured data ------------------------------------------------------------------------------

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "backgroundnewsarticle", "opinionnewsarticle", "reviewnewsarticle",
    "askpublicnewsarticle", "blogposting", "liveblogposting", "report", "satiricalarticle",
    "techarticle", "scholarlyarticle", "socialmediaposting", "discussionforumposting",
}  # fmt: skip
PAGE_TYPES = {"webpage", "itempage", "collectionpage", "aboutpage", "profilepage"}

#: Meta tags (name, property or itemprop, lower case) that carry the publication time.
PUBLISHED_META = {
    "article:published_time", "og:article:published_time", "article:published",
    "og:published_time", "published_time", "article.published", "article:post_date",
    "datepublished", "date_published", "publishdate", "publish-date", "publish_date",
    "publish_time", "publication_date", "pubdate", "og:pubdate", "rnews:datepublished",
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dc.date.created",
    "dcterms.created", "dc:date", "dc:created", "parsely-pub-date", "sailthru.date",
    "citation_publication_date", "citation_date", "originalpublicationdate",
    "article_date_original", "cxenseparse:recs:publishtime", "datecreated", "date", "displaydate",
}  # fmt: skip
#: Meta tags that carry a modification time: never a publication date.
MODIFIED_META = {
    "article:modified_time", "og:article:modified_time", "article:modified", "og:updated_time",
    "og:modified_time", "modified_time", "updated_time", "datemodified", "dateupdated",
    "dc.modified", "dcterms.modified", "lastmod", "last-modified", "lastmodified", "modified",
    "revision_date", "article:modified_date", "bt:moddate",
}  # fmt: skip
#: Pages that describe hundreds of items (or generate dates in a loop) are read only this far:
#: a page's own dates come first, and the time spent on one page stays bounded.
MAX_CLAIMS = 50
MAX_WRITTEN_DATES = 100
_META_RANK = 2
_MICRODATA_RANK = 3
_GENERIC_META = {"date", "displaydate", "dc.date", "dcterms.date", "dc:date"}


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


def _json_documents(tree: Any) -> Iterator[Any]:
    for script in tree.iterfind(".//script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind or not script.text:
            continue
        text = script.text.strip()
        for wrapper in ("<!--", "-->", "<![CDATA[", "]]>"):
            text = text.replace(wrapper, "")
        try:
            document = json.loads(text, strict=False)
        except ValueError:
            # Sites emit broken JSON (trailing commas, raw quotes): one more try without the
            # trailing commas, else the script is skipped.
            try:
                document = json.loads(re.sub(r",\s*([}\]])", r"\1", text), strict=False)
            except ValueError:
                continue
        except RecursionError:  # absurdly deep nesting
            continue
        yield document


def _top_nodes(document: Any) -> Iterator[dict[str, Any]]:
    """The page's own nodes: top-level objects, list items and @graph members, and the
    mainEntity of a WebPage; not objects nested as related items, comments or parts."""
    stack = [document]
    while stack:
        current = stack.pop(0)
        if isinstance(current, list):
            stack[:0] = current
        elif isinstance(current, dict):
            if "@graph" in current:
                stack[:0] = [current["@graph"]]
                continue
            yield current
            main = current.get("mainEntity")
            if isinstance(main, dict | list) and _types(current) & PAGE_TYPES:
                stack[:0] = [main]


def _same_page(value: Any, page_urls: set[str]) -> bool:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return isinstance(value, str) and _url_key(value) in page_urls


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


def _claim(value: Any, rank: int) -> _Claim | None:
    if isinstance(value, list) and value:
        value = value[0]  # some sites list the same date twice, or several editions
    if not isinstance(value, str):
        return None
    text = value.strip()
    moment = to_utc_datetime(text)
    if moment is None:
        return None
    local = moment
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        local = parsed
    except ValueError:
        pass
    timed = bool(re.search(r"\d:\d\d", text))
    return _Claim(moment, local.date(), timed, rank)


def _json_ld(tree: Any, page_urls: set[str]) -> tuple[list[_Claim], list[_Claim]]:
    articles: list[tuple[bool, _Claim]] = []
    pages: list[_Claim] = []
    modified: list[_Claim] = []
    for document in _json_documents(tree):
        for node in islice(_top_nodes(document), MAX_CLAIMS * 4):
            types = _types(node)
            if not types & (ARTICLE_TYPES | PAGE_TYPES):
                continue
            changed = _claim(node.get("dateModified"), 1)
            if changed:
                modified.append(changed)
            published = _claim(node.get("datePublished") or node.get("dateCreated"), 1)
            if published is None:
                continue
            if types & ARTICLE_TYPES:
                own = any(
                    _same_page(node.get(key), page_urls)
                    for key in ("url", "@id", "mainEntityOfPage")
                )
                articles.append((own, published))
            else:
                pages.append(_Claim(published.moment, published.local_day, published.timed, 2))
    # Several article nodes (a page that also describes other stories): the one that names this
    # page's address is the page's own.
    own = [claim for is_own, claim in articles if is_own]
    claims = (own or [claim for _, claim in articles]) + pages
    return claims[:MAX_CLAIMS], modified[:MAX_CLAIMS]


def _meta(tree: Any) -> tuple[list[_Claim], list[_Claim]]:
    published: list[_Claim] = []
    modified: list[_Claim] = []
    for element in tree.iterfind(".//meta"):
        key = (
            element.get("property") or element.get("name") or element.get("itemprop") or ""
        ).lower()
        equiv = (element.get("http-equiv") or "").lower()
        value = element.get("content")
        if equiv == "last-modified" or key in MODIFIED_META:
            claim = _claim(value, _META_RANK)
            if claim:
                modified.append(claim)
        elif key in PUBLISHED_META:
            rank = _META_RANK + 1 if key in _GENERIC_META else _META_RANK
            if element.get("itemprop"):
                rank = _MICRODATA_RANK
            claim = _claim(value, rank)
            if claim:
                published.append(claim)
    for element in tree.xpath("//*[@itemprop][not(self::meta)] | //time[@pubdate]"):
        if not _in_story(element):
            continue
        prop = (element.get("itemprop") or "").lower()
        value = element.get("datetime") or element.get("content") or element.text_content()
        if prop in ("datepublished", "datecreated") or element.get("pubdate") is not None:
            claim = _claim(value, _MICRODATA_RANK)
            if claim:
                published.append(claim)
        elif prop in ("datemodified", "dateupdated"):
            claim = _claim(value, _MICRODATA_RANK)
            if claim:
                modified.append(claim)
        if len(published) + len(modified) >= 2 * MAX_CLAIMS:
            break
    return published[:MAX_CLAIMS], modified[:MAX_CLAIMS]


def _in_story(element: Any) -> bool:
    """False for microdata of comments, reviews or related stories, and inside sidebars."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("aside", "nav", "footer"):
            return False
        cls = _class_of(ancestor)
        if not cls.isspace() and _class_flags(cls)[0]:
            return False
        if ancestor.get("itemscope") is not None and ancestor.get("itemtype"):
            kind = ancestor.get("itemtype").rstrip("/").rsplit("/", 1)[-1].lower()
            return kind in ARTICLE_TYPES | PAGE_TYPES
    return True


# -- the address ----------------------------------------------------------------------------------

_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d\d)(?:/(?P<m1>[01]?\d)/(?P<d1>[0-3]?\d)"
    r"|-(?P<m2>[01]\d)-(?P<d2>[0-3]\d)|(?P<m3>[01]\d)(?P<d3>[0-3]\d))(?=/|$|[?#])"
)


def url_date(url: str | None) -> date | None:
    """A full date written as path segments of ``url``; None for none, a year or a month only,
    or a date inside a slug (``talks-2025-10-30-preview`` may be the date of an event)."""
    if not url:
        return None
    path = urlsplit(url).path
    for match in _URL_DATE.finditer(path):
        month = match.group("m1") or match.group("m2") or match.group("m3")
        day = match.group("d1") or match.group("d2") or match.group("d3")
        try:
            return date(int(match.group("year")), int(month), int(day))
        except ValueError:
            continue
    return None


# -- the text written for readers -----------------------------------------------------------------

_SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "nav", "aside", "footer",
              "form", "select", "button", "svg", "head", "title"}  # fmt: skip


def _words(*words: str) -> re.Pattern[str]:
    # Whole words of a class or id ("entry-date", "story__byline"), so "timeline" is not "time"
    # and "commentary" is not "comment".
    return re.compile(r"(?<![a-z])(?:" + "|".join(words) + r")s?(?![a-z])", re.IGNORECASE)


_SKIP_CLASSES = _words(
    "comment", "related", "sidebar", "widget", "ticker", "breaking", "trending", "popular",
    "most-?read", "recommended", "more-?stories", "more-?news", "also-?read", "read-?more",
    "newsletter", "footer", "masthead", "today", "current-?date", "top-?bar", "latest", "promo",
    "advert", "ad", "outbrain", "taboola", "share", "social", "cookie",
)  # fmt: skip
_MODIFIED_CLASSES = _words("updated", "update", "modified", "lastmod", "edited", "datemodified")
_PUBLISHED_CLASSES = _words("published", "pubdate", "posted", "entry-date", "datepublished")
_DATE_CLASSES = _words(
    "date", "time", "byline", "dateline", "meta", "posted-on", "timestamp", "stamp",
    "datepublished", "pubdate", "published",
)  # fmt: skip
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "header",
               "section", "article", "main", "td", "tr", "table", "dd", "dt", "dl",
               "blockquote", "figure", "figcaption", "br", "hr", "address", "body"}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# A line longer than this is a sentence of the story, whose dates are events, not its date.
_BYLINE_CHARS = 120

_MODIFIED_LABELS = [fold_text(w) for w in (
    "updated", "update", "last modified", "modified", "edited", "revised",
    "اپ ڈیٹ", "اپڈیٹ", "ترمیم", "به‌روزرسانی", "بروزرسانی", "به روز شده", "به‌روز شده",
    "ویرایش", "تازه شوی", "تازه شوې", "اوسمهال",
)]  # fmt: skip
_PUBLISHED_LABELS = [fold_text(w) for w in (
    "published", "posted", "first published", "publication date", "released",
    "شائع", "اشاعت", "تاریخ نشر", "منتشر شده", "انتشار", "نشر شده", "منتشر", "خپور شوی",
    "خپره شوې", "خپور", "خپره", "نشر شوی", "د خپرېدو نېټه",
)]  # fmt: skip


class _Context(NamedTuple):
    """What the markup says about a stretch of text."""

    skipped: bool = False  # not the story: sidebars, comments, tickers, the site's header
    modified: bool = False  # in an element marked as a modification date
    published: bool = False  # in an element marked as the publication date
    dated: bool = False  # in an element marked as a date, time, byline or date line
    heading: bool = False  # in a headline


def _class_of(element: Any) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''} {element.get('itemprop') or ''}"


@lru_cache(maxsize=4096)
def _class_flags(cls: str) -> tuple[bool, bool, bool, bool]:
    # Pages repeat their class names thousands of times: each is matched once.
    modified = bool(_MODIFIED_CLASSES.search(cls))
    return (
        bool(_SKIP_CLASSES.search(cls)),
        modified,
        not modified and bool(_PUBLISHED_CLASSES.search(cls)),
        bool(_DATE_CLASSES.search(cls)),
    )


def _context(element: Any, outer: _Context) -> _Context:
    tag = element.tag
    skipped = outer.skipped or tag in _SKIP_TAGS
    if tag == "header" and not any(a.tag in ("article", "main") for a in element.iterancestors()):
        skipped = True  # the site's header: logo, menu and today's date
    heading = outer.heading or tag in _HEADINGS
    cls = _class_of(element)
    if cls.isspace():
        return outer._replace(skipped=skipped, heading=heading)
    skip_class, modified, published, dated = _class_flags(cls)
    return _Context(
        skipped or skip_class,
        outer.modified or modified,
        outer.published or published,
        outer.dated or dated,
        heading,
    )


def _lines(tree: Any) -> Iterator[tuple[str, _Context]]:
    """The visible text split into lines at block elements, each with its context."""
    body = tree.find(".//body")
    lines: list[tuple[list[str], _Context]] = [([], _Context())]

    def walk(element: Any, outer: _Context) -> None:
        if not isinstance(element.tag, str):  # comments, processing instructions
            return
        own = _context(element, outer)
        separate = element.tag in _BLOCK_TAGS or own != outer
        if separate:
            lines.append(([], own))
        moment = to_utc_datetime(element.get("datetime")) if element.tag == "time" else None
        if moment is not None:
            # The machine-readable value of a <time> says what its text says, with the zone.
            lines[-1][0].append(f" {moment:%Y-%m-%d %H:%M} UTC ")
        elif element.text:
            lines[-1][0].append(element.text)
        for child in element:
            walk(child, own)
        if separate:
            lines.append(([], outer))  # the enclosing element's text resumes on a line of its own
        if element.tail:
            lines[-1][0].append(element.tail)

    walk(body if body is not None else tree, _Context())
    for parts, context in lines:
        text = " ".join("".join(parts).split())
        if text:
            yield text, context


def _label(before: str, labels: list[str]) -> bool:
    tail = before[-40:].lower()
    return any(label in tail for label in labels)


def _written(tree: Any) -> tuple[list[_Claim], list[_Claim], list[_Claim]]:
    """Dates written in bylines and date lines: (labelled or marked as published, unlabelled,
    labelled or marked as modified), each in the order of the page."""
    labelled: list[_Claim] = []
    marked: list[_Claim] = []
    plain: list[_Claim] = []
    modified: list[_Claim] = []
    story_started = False
    seen = 0
    for text, context in _lines(tree):
        if context.skipped:
            continue
        if seen >= MAX_WRITTEN_DATES:
            break
        folded = fold_text(text)
        dated = context.dated or context.published
        if len(folded) > _BYLINE_CHARS and not dated:
            story_started = True
            continue
        # A headline's date is an event's; so are the dates of a timeline or caption below the
        # first paragraph, unless a label or the markup says they date the page.
        unmarked_ok = not context.heading and (not story_started or dated)
        previous_end = 0
        for found in find_written_dates(folded):
            seen += 1
            before = folded[previous_end : found.start]
            previous_end = found.end
            claim = _Claim(found.moment, found.day, found.timed, 4)
            published_label = _label(before, _PUBLISHED_LABELS)
            if _label(before, _MODIFIED_LABELS) and not published_label:
                modified.append(claim)
            elif published_label:
                labelled.append(claim)
            elif context.modified:
                modified.append(claim)
            elif context.published:
                labelled.append(claim)
            elif unmarked_ok:
                (marked if dated else plain).append(claim)
    # A date in an element marked as a date or byline before one in any short line (a caption).
    return labelled, marked + plain, modified


# -- choosing -------------------------------------------------------------------------------------


def _same_day(a: _Claim, day: date) -> bool:
    return a.moment.date() == day or a.local_day == day


def _agrees(a: _Claim, b: _Claim) -> bool:
    return a.moment.date() == b.moment.date() or a.local_day == b.local_day


def _choose(claims: list[_Claim], modified: list[_Claim], witnesses: list[date]) -> _Claim:
    """One claim of several structured ones. When they disagree, a claim that only repeats a
    modification date loses; then the day most other evidence (the other claims, the URL, the
    byline) agrees with; then the earliest."""
    distinct = {c.moment.date() for c in claims}
    if len(distinct) > 1:
        unmodified = [c for c in claims if not any(_agrees(c, m) for m in modified)]
        claims = unmodified or claims

    def support(claim: _Claim) -> int:
        return sum(_agrees(claim, other) for other in claims) + sum(
            _same_day(claim, day) for day in witnesses
        )

    best = max(support(c) for c in claims)
    agreed = [c for c in claims if support(c) == best]
    earliest = min(c.moment.date() for c in agreed)
    on_day = [c for c in agreed if c.moment.date() == earliest]
    # The most precise statement of that day: one with a time, from the most specific source.
    return min(on_day, key=lambda c: (not c.timed, c.rank))


def _htmldate(tree: Any, now: datetime) -> _Claim | None:
    try:
        # url="" keeps htmldate from reading the address or the canonical link: the URL is a
        # source of its own, asked before the page's text.
        found = find_date(
            tree,
            extensive_search=True,
            original_date=True,
            outputformat=HTMLDATE_FORMAT,
            url="",
            min_date=EARLIEST.replace(tzinfo=None),
            max_date=(now + MAX_FUTURE).replace(tzinfo=None),
        )
    except Exception:  # noqa: BLE001 - htmldate fails on some broken trees; a date is optional
        return None
    claim = _claim(found, 5) if found else None
    if claim is None:
        return None
    # The output format always has a time; a bare midnight without an offset means a day only.
    return replace(claim, timed=not found.endswith("T00:00:00"))


def _weak_guess(claim: _Claim, html_text: str) -> bool:
    """htmldate falls back to a copyright year (1 January) or a year and month (the 1st): a date
    on the 1st that is written nowhere on the page in full is such a guess."""
    if claim.timed or claim.local_day.day != 1:
        return False
    day = claim.local_day
    forms = (day.isoformat(), day.strftime("%Y/%m/%d"), day.strftime("%d/%m/%Y"),
             day.strftime("%d.%m.%Y"), day.strftime("%Y%m%d"))  # fmt: skip
    return not any(form in html_text for form in forms)


def publication_date(
    tree: Any, url: str | None, *, now: datetime, canonical: str | None = None
) -> PageDate | None:
    """The page's original publication date and its ``published_source``, or None when the page
    does not tell (the caller keeps the feed's or sitemap's date)."""
    if tree is None:
        return None

    def ok(claim: _Claim) -> bool:
        return plausible(claim.moment, now)

    def result(claim: _Claim, source: str) -> PageDate:
        return PageDate(claim.moment.replace(microsecond=0).isoformat(), source)

    page_urls = {_url_key(u) for u in (url, canonical) if u}
    ld_published, ld_modified = _json_ld(tree, page_urls)
    meta_published, meta_modified = _meta(tree)
    structured = [c for c in ld_published + meta_published if ok(c)]
    modified = ld_modified + meta_modified
    address = url_date(url) or url_date(canonical)
    if len({c.moment.date() for c in structured}) == 1:
        # The usual case: the page's structured dates agree, nothing else needs reading.
        return result(min(structured, key=lambda c: (not c.timed, c.rank)), SOURCE_PAGE)
    labelled, plain, written_modified = _written(tree)
    modified += written_modified

    if structured:
        witnesses = [address] if address else []
        witnesses += [c.moment.date() for c in (labelled or plain)[:1]]
        return result(_choose(structured, modified, witnesses), SOURCE_PAGE)
    if address:
        midnight = to_utc_datetime(address)
        if midnight is not None and plausible(midnight, now):
            return PageDate(midnight.isoformat(), SOURCE_URL)
    written = [c for c in labelled + plain if ok(c)]
    if written:
        return result(written[0], SOURCE_PAGE_TEXT)
    guess = _htmldate(tree, now)
    if guess is None or not ok(guess):
        return None
    if any(_agrees(guess, m) for m in modified):
        return None  # htmldate fell back to a modification date
    if _weak_guess(guess, _serialized(tree)):
        return None
    return result(guess, SOURCE_PAGE_TEXT)


def _serialized(tree: Any) -> str:
    try:
        return lxml_html.tostring(tree, encoding="unicode")
    except Exception:  # noqa: BLE001 - an unserializable tree has no written dates to confirm
        return ""
