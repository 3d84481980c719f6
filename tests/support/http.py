"""The one answer every local test server gives: a document, or 304 Not Modified when the
request's If-None-Match names its ETag (the conditional GET the crawler relies on)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler


def etag_of(body: bytes) -> str:
    """A strong ETag derived from the body."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def send_document(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: Iterable[tuple[str, str]] = (),
    etag: str | None = None,
) -> None:
    """Answer ``handler``'s request with ``body`` and ``headers`` (``etag`` among them when
    given), or with 304 when the request's If-None-Match is ``etag`` (status 200 only)."""
    if etag and status == 200 and handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    if etag:
        handler.send_header("ETag", etag)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
