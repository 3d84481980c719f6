"""A news site spread over many host names on the loopback network, for crawl-worker tests.

Each host (127.0.0.2, 127.0.0.3, ...: all loopback on Linux) serves ``/feed.xml``, an RSS feed
of ``articles`` items with an ETag (a repeated conditional GET gets 304), and the article pages
it links to. Every answer waits ``latency`` seconds first, and every request is logged with its
host, path, status and start and end times, so that a test can count fetches and measure the
politeness seen by each host.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.http import etag_of, send_document


@dataclass
class Request:
    host: str
    path: str
    status: int
    start: float
    end: float


@dataclass
class MultiHostSite:
    hosts: list[str]
    port: int
    articles: int
    latency: float
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def feed_url(self, host: str) -> str:
        return f"http://{host}:{self.port}/feed.xml"

    def article_url(self, host: str, number: int) -> str:
        return f"http://{host}:{self.port}/story/{number}.html"

    def expected_articles(self) -> set[str]:
        return {self.article_url(h, n) for h in self.hosts for n in range(self.articles)}

    def requests(self, kind: str | None = None) -> list[Request]:
        """The logged requests; ``kind``: "feed" or "story" to keep one sort."""
        with self.lock:
            logged = list(self.log)
        if kind is None:
            return logged
        return [r for r in logged if r.path.startswith(f"/{kind}")]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def feed(self, host: str) -> bytes:
        items = "".join(
            f"<item><title>Border talks report {n} from {host}</title>"
            f"<link>{self.article_url(host, n)}</link>"
            f"<guid>{self.article_url(host, n)}</guid>"
            f"<pubDate>Mon, 27 Oct 2025 0{n % 10}:00:00 GMT</pubDate>"
            f"<description>Officials of Islamabad and Kabul met ({host} {n}).</description>"
            "</item>"
            for n in range(self.articles)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Site {host}</title><link>http://{host}:{self.port}/</link>"
            f"<description>news</description>{items}</channel></rss>"
        ).encode()

    def page(self, host: str, number: int) -> bytes:
        paragraphs = "".join(
            f"<p>Paragraph {p}: delegations from Pakistan and Afghanistan discussed the border "
            f"crossing at Torkham and the ceasefire in report {number} of {host}; traders "
            "waiting at the crossing asked for an answer before the end of the week.</p>"
            for p in range(6)
        )
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Border talks report {number} from {host}</title></head><body><article>"
            f"<h1>Border talks report {number} from {host}</h1>{paragraphs}</article></body></html>"
        ).encode()


def _handler(site: MultiHostSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            start = time.monotonic()
            host = self.server.server_address[0]
            time.sleep(site.latency)
            path = self.path.split("?", 1)[0]
            status = 200
            if path == "/feed.xml":
                body = site.feed(host)
                etag = etag_of(body)
                if self.headers.get("If-None-Match") == etag:
                    status = 304
                send_document(self, 200, body, [("Content-Type", "application/rss+xml")], etag)
            elif path.startswith("/story/") and path.endswith(".html"):
                number = int(path.removeprefix("/story/").removesuffix(".html"))
                send_document(self, 200, site.page(host, number), [("Content-Type", "text/html")])
            else:
                status = 404
                send_document(self, 404, b"not here", [("Content-Type", "text/plain")])
            with site.lock:
                site.log.append(Request(host, path, status, start, time.monotonic()))

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextmanager
def serve_multi_host_site(
    hosts: int = 6, articles: int = 5, latency: float = 0.05
) -> Iterator[MultiHostSite]:
    """Serve the site on 127.0.0.2 ... 127.0.0.(hosts+1), one server per address, one port."""
    addresses = [f"127.0.0.{n}" for n in range(2, hosts + 2)]
    for _attempt in range(20):
        port = _free_port(addresses[0])
        servers: list[ThreadingHTTPServer] = []
        site = MultiHostSite(addresses, port, articles, latency)
        try:
            for address in addresses:
                server = ThreadingHTTPServer((address, port), _handler(site))
                server.daemon_threads = True
                servers.append(server)
        except OSError:
            for server in servers:
                server.server_close()
            continue
        break
    else:
        raise RuntimeError("no port free on every loopback address")
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
