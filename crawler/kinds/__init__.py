"""The kinds of fetch target a source may have, one module each, collected in ``KINDS``.

Every kind module exposes one function with the same signature::

    read(response, target, *, page, now) -> Reading

``response`` is the Scrapy response of one of the target's URLs (``page`` 1 is the target's own
URL, higher pages are the URLs an earlier ``read`` asked to follow); ``target`` is the plan
entry (source key, URL, kind and the kind's options from config.yaml). The result holds the
items found, the URLs to fetch next for the same target, and an error or a warning.

What the crawler and the configuration need to know of a kind without reading a document is
declared in its ``Kind`` line below; config.yaml's validation reads ``KINDS`` too (the allowed
``kind:`` values and the options each kind requires). A kind's module is imported when the
crawler first reads a document of that kind, so that loading the configuration costs no parser
imports. Adding a kind: one module here, one line in ``KINDS``, its section in
docs/collection.md and its tests.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Reading:
    """What one fetched document of a target yielded.

    ``items`` are in the public item format; ``follow`` are URLs of the same target to fetch
    next (child sitemaps, older listing pages); ``error`` means the document was unusable (the
    target's fetch counts as failed); ``warning`` is worth telling the user although the
    document was read; ``ttl`` is the polling interval in seconds the document asks for.
    """

    items: list[dict[str, Any]] = field(default_factory=list)
    follow: list[str] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of fetch target: its name in config.yaml and what the crawler does with it.

    ``fetch_pages``: new items are followed to their article page for the full text (when the
    source wants full text). ``page_title_wins``: the article page's own title replaces the
    title the document gave (a listing's link text may be "Read more"). ``requires``: target
    options config.yaml must set for this kind.
    """

    name: str
    module: str
    description: str
    fetch_pages: bool = True
    page_title_wins: bool = False
    requires: tuple[str, ...] = ()

    def read(self, response: Any, target: dict[str, Any], *, page: int, now: datetime) -> Reading:
        """Read one fetched document of ``target`` with this kind's module."""
        reader = importlib.import_module(self.module)
        return reader.read(response, target, page=page, now=now)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("rss", "crawler.kinds.rss", "an RSS 0.9x/1.0/2.0, RDF or Atom 0.3/1.0 feed"),
        Kind(
            "gnews",
            "crawler.kinds.gnews",
            "a Google News search feed: each item names its outlet; links are redirects, so "
            "article pages are not fetched",
            fetch_pages=False,
        ),
        Kind("sitemap", "crawler.kinds.sitemap", "a (news) sitemap or sitemap index"),
        Kind(
            "site",
            "crawler.kinds.site",
            "listing pages of a site without a feed: links matching article_pattern, older "
            "pages by next_pattern up to max_pages",
            page_title_wins=True,
            requires=("article_pattern",),
        ),
    )
}
DEFAULT_KIND = "rss"
