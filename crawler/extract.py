"""Full text and metadata of one article page, with trafilatura.

The publication date is the page's ORIGINAL date, read by crawler.page_dates (structured data,
the URL, the byline, htmldate's original-date search); ``published_source`` says which. No
date is taken from trafilatura's metadata: its htmldate call may fall back to a modification
date. Implausible dates are dropped so the caller falls back to the feed's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import html as lxml_html

from crawler.page_dates import publication_date
from pipeline.items import TEXT_EMPTY, TEXT_OK

# Fewer characters than this is a teaser, a paywall notice or a video page, not an article.
MIN_TEXT_CHARS = 200

# trafilatura always runs htmldate for its metadata; its answer is not used (see above), so the
# quick search is enough, and in original-date mode in case anyone reads it.
_TRAFILATURA_DATE_PARAMS = {"original_date": True, "extensive_search": False}


@dataclass
class Extraction:
    """What a page yields; ``status`` is a pipeline.items TEXT_* value."""

    title: str | None = None
    text: str | None = None
    author: str | None = None
    published: str | None = None
    #: where ``published`` was found: ``page``, ``url`` or ``page_text`` (crawler.page_dates)
    published_source: str | None = None
    canonical: str | None = None
    declared_language: str | None = None
    status: str = TEXT_EMPTY

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def extract_article(
    page: bytes | str, url: str | None = None, *, now: datetime | None = None
) -> Extraction:
    """Extract text and metadata; never raises on bad HTML (returns an empty extraction)."""
    now = now or datetime.now(UTC)
    tree = _tree(page)  # parsed once for the canonical link, the language and the date
    result = Extraction(
        canonical=_canonical_link(tree, url), declared_language=_declared_language(tree)
    )
    try:
        dated = publication_date(tree, url, now=now, canonical=result.canonical)
    except Exception:  # noqa: BLE001 - a date is optional; the feed's remains
        dated = None
    if dated is not None:
        result.published, result.published_source = dated.published, dated.source
    try:
        document = trafilatura.bare_extraction(
            page,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params=_TRAFILATURA_DATE_PARAMS,
        )
    except Exception:  # trafilatura raises on some broken markup; the feed fields remain
        document = None
    if document is None:
        return result
    text = (document.text or "").strip()
    result.title = (document.title or "").strip() or None
    result.author = (document.author or "").strip() or None
    result.text = text or None
    result.status = TEXT_OK if len(text) >= MIN_TEXT_CHARS else TEXT_EMPTY
    return result


def _tree(page: bytes | str) -> Any:
    try:
        # trafilatura's loader guesses the encoding of pages that do not declare it.
        tree = trafilatura.load_html(page)
    except Exception:  # noqa: BLE001 - empty or non-HTML documents
        tree = None
    if tree is not None:
        return tree
    try:
        return lxml_html.fromstring(page)
    except Exception:  # empty or non-HTML documents
        return None


def _canonical_link(tree: Any, url: str | None) -> str | None:
    if tree is None:
        return None
    for href in tree.xpath('//link[@rel="canonical"]/@href'):
        href = href.strip()
        if href.startswith(("http://", "https://")):
            return href
        if href.startswith("/") and url:
            return urljoin(url, href)
    return None


def _declared_language(tree: Any) -> str | None:
    if tree is None:
        return None
    values = tree.xpath("/html/@lang") or tree.xpath(
        '//meta[@http-equiv="content-language"]/@content'
    )
    return values[0].strip() if values and values[0].strip() else None
