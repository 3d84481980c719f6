"""The spider that collects every configured fetch target: feeds, search feeds, sitemaps, sites.

It is given a plan (the targets that are due, with their stored validators and failure counts),
a CrawlState (which article URLs are stored; where to report fetch outcomes) and a staging
folder. For each target it makes one conditional request; new entries are followed to their
article page for full text when the source wants it, and every article ends up as an item.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.backoff import (
    FLAG_AFTER_FAILURES,
    FLAG_FAILING,
    FLAG_GONE,
    FLAGGED_RETRY,
    Intervals,
    after_failure,
    after_success,
    parse_retry_after,
    polling_interval,
)
from crawler.extract_pool import ExtractionFailed, Extractor, InlineExtractor
from crawler.kinds import DEFAULT_KIND, KINDS, Kind
from crawler.safety import refused_host
from crawler.state import CrawlState
from pipeline.items import TEXT_BLOCKED, TEXT_ERROR, TEXT_NOT_FETCHED, TEXT_OK, make_item

BLOCKED_STATUSES = {401, 402, 403, 451}
# Statuses the callbacks handle themselves. Not "handle_httpstatus_all": that would also stop
# the redirect middleware from following 301/302/307/308.
ERROR_STATUSES = list(range(400, 600))
TARGET_STATUSES = [304, *ERROR_STATUSES]

log = logging.getLogger("crawler.spiders.sources")


class SourcesSpider(scrapy.Spider):
    name = "sources"

    def __init__(
        self,
        plan: list[dict[str, Any]],
        state: CrawlState,
        staging_dir: str | None,
        intervals: Intervals | None = None,
        check_only: bool = False,
        extractor: Extractor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        # Where article pages are extracted: a pool of worker processes, or this thread.
        self.extractor: Extractor = extractor or InlineExtractor()
        self.state = state
        self.staging_dir = staging_dir
        self.intervals = intervals or Intervals()
        # check_only: fetch each target once, unconditionally, follow nothing, stage nothing,
        # and report what was found (``borderwatch sources check``).
        self.check_only = check_only
        self.staged_batch: str | None = None
        self.staged_items = 0
        self.stats_fetched = 0
        self.stats_parsed = 0
        self.stats_articles = 0
        # Targets whose outcome has been recorded; the rest are recorded when the spider
        # closes early (the crawl's time limit), so that no target is silently skipped.
        self.answered: set[tuple[str, str]] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.plan:
            yield self._target_request(target, target["url"])

    def _target_request(self, target: dict[str, Any], url: str, **meta: Any) -> scrapy.Request:
        headers = {}
        if url == target["url"] and not self.check_only:
            if target.get("etag"):
                headers["If-None-Match"] = target["etag"]
            if target.get("last_modified"):
                headers["If-Modified-Since"] = target["last_modified"]
        return scrapy.Request(
            url,
            callback=self.parse_target,
            errback=self.target_failed,
            headers=headers,
            dont_filter=True,
            meta={"target": target, "handle_httpstatus_list": TARGET_STATUSES, **meta},
        )

    # -- targets --------------------------------------------------------------------------------
    def parse_target(self, response: Response) -> Iterator[Any]:
        target = response.meta["target"]
        top_level = not response.meta.get("child")
        now = datetime.now(UTC)
        self.stats_fetched += 1
        if response.status == 304:
            if top_level:
                # The feed's rhythm learnt from its last full body still holds.
                ttl = max_age(response) or target.get("interval_seconds")
                self._record_success(target, now, status="not_modified", ttl=ttl)
            return
        if response.status >= 400:
            if top_level:
                retry_after = None
                if response.status in (429, 503):
                    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
                self._record_failure(
                    target,
                    now,
                    f"HTTP {response.status}",
                    retry_after,
                    gone=response.status == 410,
                    response=response,
                )
            return
        body_hash = hashlib.sha256(response.body).hexdigest()
        if top_level and not self.check_only and body_hash == target.get("body_hash"):
            # Some servers send fresh validators for an unchanged body: no need to parse it.
            self._record_success(
                target,
                now,
                status="unchanged",
                ttl=max_age(response) or target.get("interval_seconds"),
                response=response,
            )
            return

        self.stats_parsed += 1
        page = response.meta.get("page", 1)
        reading = _kind(target).read(response, target, page=page, now=now)
        items, follow, ttl = reading.items, reading.follow, reading.ttl
        error, warning = reading.error, reading.warning

        if error and top_level:
            self._record_failure(target, now, error, None, response=response)
            return

        for item in items:
            item.setdefault("source", target["source"])
            item.setdefault("feed_url", target["url"])
        if self.check_only:
            if top_level:
                self._record_success(
                    target,
                    now,
                    status="warning" if warning else "ok",
                    ttl=ttl or max_age(response),
                    response=response,
                    entries=len(items),
                    warning=warning,
                    newest=_newest(items),
                )
            return
        urls = [i["url"] for i in items]
        known = self.state.known_urls(urls) if urls else set()
        if target.get("refresh_updated"):
            known = set()
        fresh = [i for i in items if i["url"] not in known]
        if top_level:
            self._record_success(
                target,
                now,
                status="warning" if warning else "ok",
                ttl=ttl or max_age(response),
                response=response,
                body_hash=body_hash,
                entries=len(items),
                new=len(fresh),
                warning=warning,
                newest=_newest(items),
            )
        for url in follow:
            yield self._target_request(target, url, child=True, page=page + 1)
        for item in fresh:
            yield from self._article(target, item)

    def target_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        target = request.meta["target"]
        if request.meta.get("child"):
            return
        message = refused_host(urlsplit(request.url).hostname) or failure_message(failure)
        self._record_failure(target, datetime.now(UTC), message, None)

    # -- articles -------------------------------------------------------------------------------
    def _article(self, target: dict[str, Any], item: dict[str, Any]) -> Iterator[Any]:
        # Some kinds' links lead nowhere worth fetching (search-feed redirects): the registry
        # says so, and the feed fields are kept with the link as collected.
        kind = _kind(target)
        full_text = target.get("full_text", True) and kind.fetch_pages
        if not full_text:
            item.setdefault("text_status", TEXT_NOT_FETCHED)
            yield make_item(**item)
            return
        yield scrapy.Request(
            item["url"],
            callback=self.parse_article,
            errback=self.article_failed,
            meta={
                "item": item,
                "page_title_wins": kind.page_title_wins,
                "handle_httpstatus_list": ERROR_STATUSES,
            },
        )

    async def parse_article(self, response: Response) -> AsyncIterator[dict[str, Any]]:
        item = dict(response.meta["item"])
        self.stats_articles += 1
        if response.status >= 400:
            item["text_status"] = (
                TEXT_BLOCKED if response.status in BLOCKED_STATUSES else TEXT_ERROR
            )
            yield make_item(**item)
            return
        try:
            # Awaited, not called: the reactor goes on downloading while a worker extracts.
            extraction = await self.extractor.extract(response.body, response.url)
        except ExtractionFailed as exc:
            log.warning("article %s stored without its text: %s", response.url, exc)
            item["text_status"] = TEXT_ERROR
            yield make_item(**item)
            return
        item["text_status"] = extraction["status"]
        if extraction["status"] == TEXT_OK:
            item["text"] = extraction["text"]
        if response.meta.get("page_title_wins") and extraction["title"]:
            # A listing page's link text may be "Read more"; the page knows its own title.
            item["title"] = extraction["title"]
        item.setdefault("title", extraction["title"])
        item.setdefault("author", extraction["author"])
        if extraction["canonical"]:
            item["canonical"] = extraction["canonical"]
        if extraction["declared_language"] and not item.get("language"):
            item["language"] = extraction["declared_language"]
        if extraction["published"]:
            # The page's own date (structured data, URL or byline) wins over the feed's.
            item["published"] = extraction["published"]
            item["published_source"] = extraction["published_source"]
        yield make_item(**item)

    def article_failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        request = failure.request  # type: ignore[attr-defined]
        item = dict(request.meta["item"])
        self.stats_articles += 1
        blocked = "IgnoreRequest" in failure.type.__name__ or "Forbidden" in str(failure.value)
        item["text_status"] = TEXT_BLOCKED if blocked else TEXT_ERROR
        yield make_item(**item)

    def closed(self, reason: str) -> None:
        if reason == "finished":
            return
        now = datetime.now(UTC)
        for target in self.plan:
            if (target["source"], target["url"]) not in self.answered:
                self._record_failure(
                    target, now, f"no answer before the crawl stopped ({reason})", None
                )

    # -- state ----------------------------------------------------------------------------------
    def _record_success(
        self,
        target: dict[str, Any],
        now: datetime,
        *,
        status: str,
        ttl: int | None,
        response: Response | None = None,
        body_hash: str | None = None,
        entries: int | None = None,
        new: int | None = None,
        warning: str | None = None,
        newest: str | None = None,
    ) -> None:
        intervals = self._intervals(target)
        outcome: dict[str, Any] = {
            "last_fetch_at": _naive(now),
            "last_success_at": _naive(now),
            "last_status": status,
            "last_error": warning[:1000] if warning else None,
            "consecutive_failures": 0,
            "next_fetch_at": _naive(after_success(now, intervals, ttl)),
            "flagged": None,
        }
        # The feed's own rhythm (ttl, sy:updatePeriod, max-age), or None when it states none.
        outcome["interval_seconds"] = polling_interval(intervals, ttl) if ttl else None
        if response is not None:
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            outcome["etag"] = etag.decode("latin-1") if etag else None
            outcome["last_modified"] = modified.decode("latin-1") if modified else None
            outcome["http_status"] = response.status
            outcome["final_url"] = response.url
        if body_hash:
            outcome["body_hash"] = body_hash
        if entries is not None:
            outcome["entries_last"] = entries
        if new:
            outcome["last_new_item_at"] = _naive(now)
        if newest:
            outcome["newest_item_at"] = newest
        self.answered.add((target["source"], target["url"]))
        self.state.record_fetch(target["source"], target["url"], outcome)

    def _record_failure(
        self,
        target: dict[str, Any],
        now: datetime,
        error: str,
        retry_after: Any,
        *,
        gone: bool = False,
        response: Response | None = None,
    ) -> None:
        failures = int(target.get("consecutive_failures") or 0) + 1
        flagged = None
        if gone:
            flagged = FLAG_GONE
        elif failures >= FLAG_AFTER_FAILURES:
            flagged = f"{FLAG_FAILING}: {failures} consecutive failures"
        outcome: dict[str, Any] = {
            "last_fetch_at": _naive(now),
            "last_status": "error",
            "last_error": error[:1000],
            "consecutive_failures": failures,
            "next_fetch_at": _naive(
                now + FLAGGED_RETRY
                if flagged
                else after_failure(now, self._intervals(target), failures, retry_after)
            ),
            "flagged": flagged,
        }
        if response is not None:
            outcome["http_status"] = response.status
            outcome["final_url"] = response.url
        self.answered.add((target["source"], target["url"]))
        self.state.record_fetch(target["source"], target["url"], outcome)

    def _intervals(self, target: dict[str, Any]) -> Intervals:
        if target.get("interval"):
            return Intervals(
                int(target["interval"]), self.intervals.minimum, self.intervals.maximum
            )
        return self.intervals


_WRAPPED_FAILURE = re.compile(r"<twisted\.python\.failure\.Failure (?:[\w.]+\.)?(\w+): ([^>]*)>")


_FAILURE_HINTS = {
    "ResponseDataLossError": "the server closed the connection before the end of the body",
    "ResponseNeverReceived": "the server closed the connection without answering",
    "ConnectionRefusedError": "nothing listens at that address",
}


def failure_message(failure: Failure) -> str:
    """One readable line for a failed download (Twisted wraps connection errors in lists of
    Failure objects whose repr is noise)."""
    message = failure.getErrorMessage() or ""
    inner = _WRAPPED_FAILURE.findall(message)
    if inner:
        return "; ".join(f"{name}: {text.strip()}" for name, text in inner)
    name = failure.type.__name__
    message = message or _FAILURE_HINTS.get(name, "")
    return f"{name}: {message}" if message else name


def max_age(response: Response) -> int | None:
    """Seconds from the response's ``Cache-Control: max-age`` (None when absent or zero)."""
    header = response.headers.get("Cache-Control")
    if not header:
        return None
    for directive in header.decode("latin-1").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() in ("no-store", "no-cache"):
            return None
        if name.lower() == "max-age":
            try:
                seconds = int(value.strip().strip('"'))
            except ValueError:
                return None
            return seconds if seconds > 0 else None
    return None


def _newest(items: list[dict[str, Any]]) -> str | None:
    dates = [i["published"] for i in items if i.get("published")]
    return max(dates) if dates else None


def _kind(target: dict[str, Any]) -> Kind:
    return KINDS[target.get("kind") or DEFAULT_KIND]


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
