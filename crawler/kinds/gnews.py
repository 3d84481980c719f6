"""The ``gnews`` kind: a Google News search feed.

It is RSS, read by crawler.kinds.rss, which names each item's outlet from its ``<source>``
element (and takes the outlet's name off the end of the title). Its links are news.google.com
redirects to the outlet, so the registry says its article pages are not fetched: the feed's
fields are kept and the link as collected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.kinds import Reading
from crawler.kinds.rss import read_feed


def read(response: Any, target: dict[str, Any], *, page: int, now: datetime) -> Reading:
    """One search feed document of ``target`` as a Reading."""
    return read_feed(response, target, now=now, kind="gnews")
