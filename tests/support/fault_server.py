"""A local HTTP server that misbehaves on purpose, for the collection fault matrix.

``FaultServer`` listens on 127.0.0.1 (port 0, threaded) and serves a healthy outlet (an RSS 2.0
feed of three article pages, with ETag and Last-Modified) beside one path per fault: error
statuses, a server that drips bytes, a connection reset, broken or mislabelled XML, a gzip
bomb, an oversized body, a redirect loop, a redirect to another loopback address, a path
robots.txt disallows, an HTML page where a feed should be and an empty feed.

Every request is logged (``requests``) so tests can tell what the crawler asked for. The
documents are written for these tests; nothing is fetched from anywhere else.
"""

from __future__ import annotations

import gzip
import html
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.http import etag_of, send_document

HEALTHY_FEED = "/healthy/feed.xml"
ROBOTS_TXT = "User-agent: *\nDisallow: /private-by-robots/\n"
RETRY_AFTER_SECONDS = 7200
# Decompresses to this many bytes from about 60 KB on the wire.
BOMB_BYTES = 64 * 1024 * 1024
OVERSIZED_BYTES = 3 * 1024 * 1024

_PARAGRAPH = (
    "Delegations from Islamabad and Kabul met again on {day} to discuss the monitoring "
    "mechanism for the ceasefire along the border. Officials said traders at the Torkham "
    "crossing were waiting for a decision on reopening, and that refugees returning from "
    "Pakistan needed registration before winter. The mediators asked both sides to keep the "
    "truce while a written text was prepared for the next round."
)


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def article_html(title: str, published: str, author: str, paragraphs: int = 4) -> str:
    """An article page with the boilerplate a real news site wraps around the story."""
    body = "\n".join(
        f"<p>{html.escape(_PARAGRAPH.format(day=published[:10]))} ({n + 1})</p>"
        for n in range(paragraphs)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | Healthy Times</title>
<meta property="og:title" content="{html.escape(title)}">
<meta name="author" content="{html.escape(author)}">
<meta property="article:published_time" content="{published}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<main><article><h1>{html.escape(title)}</h1><p class="byline">By {html.escape(author)}</p>
{body}
</article></main>
<footer><p>Copyright Healthy Times. All rights reserved.</p></footer>
</body></html>"""


def rss(items: list[tuple[str, str, str]], title: str = "Healthy Times") -> str:
    """An RSS 2.0 document; ``items`` are (title, link, RFC 822 date)."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        f"<guid>{html.escape(link)}</guid><pubDate>{date}</pubDate>"
        f"<description>Summary of {html.escape(t)}</description></item>"
        for t, link, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>Test feed</description>{entries}</channel></rss>"
    )


class _Handler(BaseHTTPRequestHandler):
    server: _FaultHTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.record(self.path)
        path = self.path.split("?", 1)[0]
        special = self.server.owner.specials.get(path)
        if special is not None:
            special(self)
            return
        page = self.server.owner.pages.get(path)
        if page is None:
            page = Page(404, b"not found", (("Content-Type", "text/plain"),))
        headers = [(name, value) for name, value in page.headers if name != "ETag"]
        send_document(self, page.status, page.body, headers, dict(page.headers).get("ETag"))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: FaultServer) -> None:
        super().__init__(address, _Handler)
        self.owner = owner

    def record(self, path: str) -> None:
        with self.owner.lock:
            self.owner.requests.append((self.server_address[0], path))

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Resets and clients that give up mid-drip are the point of this server.
        pass


class FaultServer:
    """The healthy outlet plus every fault, on 127.0.0.1; a second listener on 127.0.0.2
    stands for "a private address" a redirect may point to."""

    def __init__(self, drip_seconds: float = 20.0) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.pages: dict[str, Page] = {}
        self.specials: dict[str, Callable[[_Handler], None]] = {}
        self.drip_seconds = drip_seconds
        self._servers = [_FaultHTTPServer(("127.0.0.1", 0), self)]
        self.port = self._servers[0].server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._private = _FaultHTTPServer(("127.0.0.2", 0), self)
        self._servers.append(self._private)
        self.private_url = f"http://127.0.0.2:{self._private.server_address[1]}"
        self._threads: list[threading.Thread] = []
        self._build()

    # -- content ------------------------------------------------------------------------------
    def healthy_articles(self) -> list[str]:
        return [f"{self.base_url}/healthy/story-{n}.html" for n in range(1, 4)]

    def _build(self) -> None:
        xml = (("Content-Type", "application/rss+xml; charset=utf-8"),)
        html_type = (("Content-Type", "text/html; charset=utf-8"),)
        stamp = "Mon, 27 Oct 2025 08:00:00 GMT"
        items = []
        for n, url in enumerate(self.healthy_articles(), start=1):
            title = f"Border talks resume, day {n}"
            published = f"2025-10-2{n}T0{n}:30:00+00:00"
            items.append((title, url, f"Sun, 2{n} Oct 2025 0{n}:00:00 GMT"))
            page = article_html(title, published, "Staff Reporter")
            self.pages[url.removeprefix(self.base_url)] = Page(200, page.encode(), html_type)
        feed = rss(items).encode()
        self.pages[HEALTHY_FEED] = Page(
            200, feed, (*xml, ("ETag", etag_of(feed)), ("Last-Modified", stamp))
        )
        self.pages["/robots.txt"] = Page(
            200, ROBOTS_TXT.encode(), (("Content-Type", "text/plain"),)
        )

        for status in (500, 404, 410):
            self.pages[f"/fault/{status}"] = Page(
                status, b"error", (("Content-Type", "text/plain"),)
            )
        self.pages["/fault/503"] = Page(
            503,
            b"busy",
            (("Content-Type", "text/plain"), ("Retry-After", str(RETRY_AFTER_SECONDS))),
        )
        self.pages["/fault/malformed.xml"] = Page(
            200,
            b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            b"<title>Broken</title><item><title>Recovered story</title>"
            b"<link>" + f"{self.base_url}/broken/recovered.html".encode() + b"</link>"
            b"<pubDate>Sun, 26 Oct 2025 09:30:00 GMT</pubDate></item>"
            b"<item><title>Cut <b>off",
            xml,
        )
        self.pages["/broken/recovered.html"] = Page(
            200,
            article_html("Recovered story", "2025-10-26T09:30:00+00:00", "Desk").encode(),
            html_type,
        )
        urdu_title = "طورخم سرحد پر تجارت دوبارہ شروع"
        self.pages["/fault/charset.xml"] = Page(
            200,
            rss([(urdu_title, f"{self.base_url}/urdu/1.html", stamp)], "اردو").encode("cp1256"),
            xml,  # declared utf-8; the bytes are windows-1256
        )
        self.pages["/urdu/1.html"] = Page(
            200,
            article_html(urdu_title, "2025-10-27T08:00:00+00:00", "Desk").encode(),
            html_type,
        )
        bomb = gzip.compress(b" " * BOMB_BYTES, compresslevel=9)
        self.pages["/fault/gzip-bomb.xml"] = Page(200, bomb, (*xml, ("Content-Encoding", "gzip")))
        self.pages["/fault/oversized.xml"] = Page(
            200,
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>'
            + b"x" * OVERSIZED_BYTES
            + b"</title></channel></rss>",
            xml,
        )
        self.pages["/fault/loop-a"] = Page(302, b"", (("Location", "/fault/loop-b"),))
        self.pages["/fault/loop-b"] = Page(302, b"", (("Location", "/fault/loop-a"),))
        self.pages["/fault/to-private"] = Page(
            302, b"", (("Location", f"{self.private_url}/feed.xml"),)
        )
        self.pages["/feed.xml"] = self.pages[HEALTHY_FEED]  # what the private host would serve
        self.pages["/private-by-robots/feed.xml"] = self.pages[HEALTHY_FEED]
        self.pages["/fault/page.html"] = Page(
            200,
            article_html("Not a feed", "2025-10-27T08:00:00+00:00", "Desk").encode(),
            html_type,
        )
        self.pages["/fault/empty.xml"] = Page(200, rss([]).encode(), xml)
        self.specials["/fault/drip"] = self._drip
        self.specials["/fault/reset"] = self._reset

    def _drip(self, handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        deadline = time.monotonic() + self.drip_seconds
        try:
            while time.monotonic() < deadline:
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass
        handler.close_connection = True

    @staticmethod
    def _reset(handler: _Handler) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        handler.close_connection = True
        handler.wfile = _Discard()

    # -- life cycle -----------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    def paths_requested(self, host: str = "127.0.0.1") -> list[str]:
        with self.lock:
            return [path for h, path in self.requests if h == host]

    def start(self) -> None:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


@contextmanager
def serve_faults(**kwargs: Any) -> Iterator[FaultServer]:
    server = FaultServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class _PagesHandler(BaseHTTPRequestHandler):
    server: _PagesHTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        with self.server.lock:
            self.server.requests.append(self.path)
            self.server.agents.add(self.headers.get("User-Agent", ""))
        found = self.server.pages.get(self.path)
        if found is None:
            body, content_type = b"not found", "text/plain"
            status = 404
        else:
            content_type, body = found
            status = 200
        send_document(self, status, body, [("Content-Type", content_type)], etag_of(body))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _PagesHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, pages: dict[str, tuple[str, str | bytes]]) -> None:
        super().__init__(("127.0.0.1", 0), _PagesHandler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.agents: set[str] = set()
        self.pages = {
            path: (
                content_type,
                body if isinstance(body, bytes) else body.replace("{BASE}", self.base_url).encode(),
            )
            for path, (content_type, body) in pages.items()
        }

    def url(self, path: str) -> str:
        return self.base_url + path

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def serve_pages(pages: dict[str, tuple[str, str | bytes]]) -> Iterator[_PagesHTTPServer]:
    """Serve ``{path: (content type, body)}`` on 127.0.0.1 (``{BASE}`` in str bodies becomes
    the server's base URL), with ETags and conditional GET; ``requests`` logs every path."""
    server = _PagesHTTPServer(pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
