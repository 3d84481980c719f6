"""Running the explorer for tests: ``borderwatch serve`` as a real process on a loopback port,
and a plain HTTP client that shows every status (redirects are not followed)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def command(self) -> str:
        """The ``borderwatch report`` command a download says it equals."""
        return unquote(self.headers["x-borderwatch-command"])


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost"), url  # loopback only
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target or "/", headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def _wait(base: str, process: subprocess.Popen | None, deadline: float) -> None:
    while True:
        try:
            fetch(base + "/static/explorer.css")
            return
        except OSError:
            if process is not None and process.poll() is not None:
                out, err = process.communicate()
                pytest.fail(f"borderwatch serve exited {process.returncode}: {err[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("borderwatch serve did not answer within 60 s")
            time.sleep(0.2)


@contextmanager
def serving(
    config: Path, db_url: str, *, env: dict[str, str] | None = None, timeout: float = 60
) -> Iterator[str]:
    """``borderwatch --config CONFIG --db URL serve`` on a free loopback port; yields its URL."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_SERVE_")}
    environ.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "--config", str(config), "--db", db_url,
         "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, process, time.monotonic() + timeout)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """An ASGI application under uvicorn in a thread, on a free loopback port."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, None, time.monotonic() + 30)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=20)
