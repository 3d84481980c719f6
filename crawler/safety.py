"""Refuse requests that a monitor reading strangers' feeds must never make.

Two layers, because a hostile feed controls the URLs the crawler follows:

* ``SafetyMiddleware`` (a downloader middleware) refuses schemes other than http/https and
  hosts written as IP addresses in a refused range. Redirects pass through downloader
  middlewares again, so every hop is checked. It does no DNS lookups: a lookup there would
  block the reactor thread, and its answer could differ from the one used to connect.
* ``SafeResolver`` (Scrapy's ``TWISTED_DNS_RESOLVER``) checks the address a host name resolves
  to at the moment the connection is made, and refuses it when it is loopback, private,
  link-local or otherwise not public. Because the address it approves is the address the
  connection uses, a name that resolves to a public address once and to 127.0.0.1 the next
  time (DNS rebinding) cannot slip through between a check and a connect.

``collect.allow_private_addresses`` switches the refusal off (the demo and the tests serve their
sites on 127.0.0.1); ``collect.allowed_networks`` lets through listed networks only (an intranet
feed server, or a test that allows 127.0.0.1 and proves that 127.0.0.2 is refused).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Sequence
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

ALLOWED_SCHEMES = {"http", "https"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(DNSLookupError):
    """A host resolved to an address the crawler may not contact."""


# Twisted reports any failed lookup as "no results for hostname lookup"; the resolver notes why
# it refused a host here so the error recorded for the target can say so. A crawl is one
# process, so this is that crawl's record.
_refused_hosts: dict[str, str] = {}


def refused_host(host: str | None) -> str | None:
    """The reason the resolver refused ``host`` in this process, if it did."""
    return _refused_hosts.get(host or "")


def parse_networks(values: Iterable[str]) -> list[Network]:
    """``127.0.0.1`` or ``10.1.0.0/16`` strings as networks (a bare address is a /32 or /128)."""
    return [ipaddress.ip_network(str(v).strip(), strict=False) for v in values]


def refusal(address: str, allow_private: bool, allowed: Sequence[Network] = ()) -> str | None:
    """Why ``address`` (an IP address as text) may not be contacted, or None when it may."""
    if allow_private:
        return None
    try:
        ip: Address = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None  # not an address: a host name, checked when it is resolved
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return None
    for label, test in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
    ):
        if test:
            return f"refused: {address} is a {label} address (collect.allow_private_addresses)"
    if not ip.is_global:
        return f"refused: {address} is not a public address (collect.allow_private_addresses)"
    return None


def _policy(settings: Any) -> tuple[bool, list[Network]]:
    return (
        settings.getbool("BORDERWATCH_ALLOW_PRIVATE_ADDRESSES"),
        parse_networks(settings.getlist("BORDERWATCH_ALLOWED_NETWORKS")),
    )


class SafetyMiddleware:
    """Refuse non-http(s) URLs and literal addresses in refused ranges, on every hop; keep
    every request within the crawl's time limit.

    Scrapy's CLOSESPIDER_TIMEOUT stops scheduling new requests but waits for the ones in
    flight, each of which may take DOWNLOAD_TIMEOUT; so each request's timeout is cut to the
    time the crawl has left."""

    def __init__(
        self,
        allow_private: bool,
        allowed: list[Network],
        request_timeout: float = 0,
        crawl_time_limit: float = 0,
    ) -> None:
        self.allow_private = allow_private
        self.allowed = allowed
        self.request_timeout = request_timeout
        self.deadline = time.monotonic() + crawl_time_limit if crawl_time_limit else None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafetyMiddleware:
        settings = crawler.settings
        return cls(
            *_policy(settings),
            request_timeout=settings.getfloat("DOWNLOAD_TIMEOUT"),
            crawl_time_limit=settings.getfloat("CLOSESPIDER_TIMEOUT"),
        )

    def process_request(self, request: Any, spider: Any = None) -> None:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise IgnoreRequest("the crawl reached its time limit")
            timeout = request.meta.get("download_timeout") or self.request_timeout or left
            request.meta["download_timeout"] = max(0.5, min(timeout, left))
        parts = urlparse_cached(request)
        if parts.scheme not in ALLOWED_SCHEMES:
            raise IgnoreRequest(f"refused: scheme {parts.scheme!r} is not http or https")
        host = parts.hostname or ""
        reason = refusal(host, self.allow_private, self.allowed)
        if reason:
            raise IgnoreRequest(reason)
        return None


class SafeResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that refuses non-public answers at connection time."""

    allow_private = False
    allowed: list[Network] = []

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> SafeResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private, resolver.allowed = _policy(crawler.settings)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:  # noqa: N802
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        reason = refusal(address, self.allow_private, self.allowed)
        if reason:
            shown = reason if address == name else reason.replace(address, f"{name} ({address})")
            _refused_hosts[name] = shown
            raise RefusedAddress(shown)
        return address
