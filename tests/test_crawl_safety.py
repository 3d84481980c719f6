"""Which addresses and URLs the crawler refuses (no network: classification only)."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.safety import SafetyMiddleware, parse_networks, refusal
from crawler.settings import crawl_settings


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("127.0.0.1", "loopback"),
        ("127.3.4.5", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services live here
        ("fe80::1", "link-local"),
        ("fc00::5", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("0.0.0.0", "private"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("224.0.0.1", "multicast"),
    ],
)
def test_non_public_addresses_are_refused(address: str, label: str) -> None:
    reason = refusal(address, allow_private=False)
    assert reason and label in reason and address in reason


@pytest.mark.parametrize("host", ["203.0.113.0", "news.example.com", "2001:4860:4860::8888"])
def test_public_addresses_and_names_pass_the_literal_check(host: str) -> None:
    # 203.0.113.0/24 is documentation space: Python counts it as non-global, so it is refused.
    expected_refused = host == "203.0.113.0"
    assert bool(refusal(host, allow_private=False)) is expected_refused


def test_switches() -> None:
    assert refusal("127.0.0.1", allow_private=True) is None
    allowed = parse_networks(["127.0.0.1", "10.20.0.0/16"])
    assert refusal("127.0.0.1", False, allowed) is None
    assert refusal("10.20.3.4", False, allowed) is None
    assert "loopback" in refusal("127.0.0.2", False, allowed)
    assert "private" in refusal("10.21.0.1", False, allowed)


def middleware(**options) -> SafetyMiddleware:
    settings = crawl_settings({"allow_private_addresses": False, **options})
    return SafetyMiddleware(
        settings["BORDERWATCH_ALLOW_PRIVATE_ADDRESSES"],
        parse_networks(settings["BORDERWATCH_ALLOWED_NETWORKS"]),
        request_timeout=settings["DOWNLOAD_TIMEOUT"],
        crawl_time_limit=settings["CLOSESPIDER_TIMEOUT"],
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/feed",
        "http://[::1]/feed",
        "https://192.168.0.10/x",
        "http://10.0.0.1/",
    ],
)
def test_middleware_refuses_literal_private_hosts(url: str) -> None:
    with pytest.raises(IgnoreRequest, match="refused"):
        middleware().process_request(Request(url))


def test_middleware_refuses_other_schemes() -> None:
    # Scrapy builds requests for these schemes too (file:// would read local files).
    for url in ("file:///etc/passwd", "ftp://example.com/feed.xml", "s3://bucket/key"):
        with pytest.raises(IgnoreRequest, match="scheme"):
            middleware().process_request(Request(url))


def test_middleware_lets_names_through_and_bounds_the_timeout() -> None:
    guard = middleware(request_timeout=30, crawl_time_limit=600)
    request = Request("https://news.example.com/feed")
    assert guard.process_request(request) is None
    assert request.meta["download_timeout"] == 30
    short = middleware(request_timeout=30, crawl_time_limit=5)
    request = Request("https://news.example.com/feed")
    short.process_request(request)
    assert 0.5 <= request.meta["download_timeout"] <= 5
