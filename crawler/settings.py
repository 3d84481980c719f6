"""Scrapy settings for borderwatch: a catalogue of polite, safe defaults.

``crawl_settings`` overlays the values that come from config.yaml (user agent, delays, limits)
on top of these module-level defaults; Scrapy reads the module through ``scrapy.cfg``-less
``Settings.setmodule``.
"""

from __future__ import annotations

from typing import Any

BOT_NAME = "borderwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify ourselves; crawl_settings appends the contact URL from config.yaml.
USER_AGENT = "borderwatch/0.1 (+https://github.com/borderwatch/borderwatch)"

# Be polite: obey robots.txt, few parallel requests per site, a delay between them.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5

# A monitor needs no cookies, and the cookie middleware would make tldextract download the
# public suffix list on first use.
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Memory bound of the work in flight: while the responses waiting for their callbacks (article
# pages queued for the extraction workers, crawler.extract_pool) exceed this many bytes, Scrapy
# downloads nothing new.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 5_000_000
# Scrapy starts this many asyncio tasks for every response to pass its output (requests, items)
# on; the staging pipeline is synchronous, so more than a few is pure overhead (100, Scrapy's
# default, cost about 7 ms of the reactor thread per article page).
CONCURRENT_ITEMS = 4

# Safety limits against slow, huge or looping servers.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 15 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 5
# Failures are recorded and backed off per source instead of being retried at once.
RETRY_ENABLED = False
# Each crawl is a fresh process: a cache would only serve stale feeds.
HTTPCACHE_ENABLED = False

# Refuse non-http(s) URLs and non-public addresses: the middleware checks every hop (redirects
# pass through it again) for literal addresses; the resolver checks each host name's address at
# connection time, so DNS rebinding cannot get past it (see crawler/safety.py).
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    "crawler.safety.SafetyMiddleware": 50,
    # Not needed by a monitor (see SPIDER_MIDDLEWARES below).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
TWISTED_DNS_RESOLVER = "crawler.safety.SafeResolver"
BORDERWATCH_ALLOW_PRIVATE_ADDRESSES = False
BORDERWATCH_ALLOWED_NETWORKS: list[str] = []
ITEM_PIPELINES = {"crawler.pipelines.StagingPipeline": 500}

# What a monitor does not need, left out of every request's and response's path (each costs
# the crawl process CPU per page, and the crawl shares the machine with its extraction workers):
# depth and URL-length bookkeeping, the off-site filter (a target's article links may lead to
# other hosts, such as a CDN), HTTP authentication, byte counts per request, and the stats
# collector (the reason the crawl ended comes from the spider_closed signal). The Referer
# middleware stays: without it Scrapy's redirect middlewares log a warning in every crawl.
SPIDER_MIDDLEWARES: dict[str, int | None] = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
DOWNLOADER_STATS = False
STATS_CLASS = "scrapy.statscollectors.DummyStatsCollector"

LOG_LEVEL = "WARNING"
# The process that starts a crawl owns logging (see borderwatch.crawl_child).
LOG_INSTALL_ROOT_HANDLER = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"


def crawl_settings(options: dict[str, Any]) -> dict[str, Any]:
    """Scrapy setting overrides from the ``collect`` section of the configuration."""
    agent = options.get("user_agent") or "borderwatch/0.1"
    contact = options.get("contact_url")
    return {
        "USER_AGENT": f"{agent} (+{contact})" if contact else agent,
        "ROBOTSTXT_OBEY": bool(options.get("obey_robots_txt", True)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(options.get("concurrency_per_domain", 2)),
        "DOWNLOAD_DELAY": float(options.get("download_delay", 1.0)),
        "DOWNLOAD_TIMEOUT": int(options.get("request_timeout", 30)),
        "DOWNLOAD_MAXSIZE": int(options.get("max_body_bytes", 15 * 1024 * 1024)),
        "REDIRECT_MAX_TIMES": int(options.get("max_redirects", 5)),
        "CLOSESPIDER_TIMEOUT": int(options.get("crawl_time_limit", 1200)),
        "BORDERWATCH_ALLOW_PRIVATE_ADDRESSES": bool(options.get("allow_private_addresses")),
        "BORDERWATCH_ALLOWED_NETWORKS": list(options.get("allowed_networks") or []),
    }
