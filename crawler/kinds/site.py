"""The ``site`` kind: listing pages of a site without a feed.

Every link on the page whose absolute URL matches the target's ``article_pattern`` is an
article (its link text a provisional title: the article page's own title replaces it); the
first link matching ``next_pattern`` is the next, older listing page, followed up to
``max_pages`` pages.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from crawler.kinds import Reading
from pipeline.items import make_item


def read(response: Any, target: dict[str, Any], *, page: int, now: datetime) -> Reading:
    """One listing page of ``target`` as a Reading."""
    items, follow = _listing(response, target, page)
    reading = Reading(items=items, follow=follow)
    if not items and page == 1:
        reading.warning = f"no link matches article_pattern {target.get('article_pattern')!r}"
    return reading


def _listing(
    response: Any, target: dict[str, Any], page: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """Article links and next pages of a listing page."""
    if not hasattr(response, "css"):
        return [], []
    article = re.compile(target["article_pattern"])
    items, seen = [], set()
    for anchor in response.css("a[href]"):
        href = urljoin(response.url, anchor.attrib.get("href", "").strip())
        if not href.startswith(("http://", "https://")) or href in seen:
            continue
        if article.search(href):
            seen.add(href)
            title = " ".join(anchor.css("::text").getall()).strip() or None
            items.append(make_item(url=href, title=title, published_source=None))
    follow: list[str] = []
    pattern = target.get("next_pattern")
    if pattern and page < int(target.get("max_pages") or 1):
        nexts = re.compile(pattern)
        for href in response.css("a[href]::attr(href)").getall():
            absolute = urljoin(response.url, href.strip())
            if nexts.search(absolute) and absolute != response.url:
                follow.append(absolute)
                break
    return items, follow
