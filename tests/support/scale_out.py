"""Helpers for the crawl-worker tests: a configuration with a queue, worker processes, a Redis
server of the test's own, and what the database says about the run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text

from pipeline.store import Store
from tests.support.config import PG_ENV, REPO, base_config, write_config
from tests.support.multi_host_site import MultiHostSite

# The machine's Redis: a db number of the tests' own, and a key prefix per test.
SHARED_REDIS = "redis://127.0.0.1:6379/13"
LEASE_SECONDS = 8
WORKER_TIMEOUT_SECONDS = 3


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server; its URL."""
    server = os.environ.get(PG_ENV) or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"so_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in server else "?"
    url = f"{server}{separator}options=-csearch_path%3D{schema}"
    Store(url).close()  # the tables, at the current revision, before any process polls them
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def redis_namespace(url: str = SHARED_REDIS) -> Iterator[str]:
    """A key prefix of this test's own; its keys (and only they) are deleted afterwards."""
    namespace = f"bwtest-{uuid.uuid4().hex[:10]}"
    try:
        yield namespace
    finally:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
            if keys:
                client.delete(*keys)
        except redis.ConnectionError:
            pass
        finally:
            client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own on a free loopback port, without persistence."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 20, "the test's redis-server to answer")
        client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def scale_config(
    tmp_path: Path,
    site: MultiHostSite,
    database_url: str,
    broker: str,
    namespace: str,
    lease: int = LEASE_SECONDS,
    **collect: Any,
) -> Path:
    """config.yaml: one source per host of ``site``, the queue on ``broker``, short leases."""
    raw = base_config(tmp_path, database=database_url)
    raw["collect"].update({"obey_robots_txt": False, "crawl_time_limit": "5m", **collect})
    raw["queue"] = {
        "broker": broker,
        "namespace": namespace,
        "lease": f"{lease}s",
        "worker_timeout": f"{WORKER_TIMEOUT_SECONDS}s",
    }
    raw["sources"] = [
        {
            "key": f"host{number}",
            "name": f"Host {number}",
            "country": "PK",
            "language": "en",
            "feeds": [site.feed_url(host)],
        }
        for number, host in enumerate(site.hosts)
    ]
    return write_config(tmp_path, raw)


def borderwatch(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "borderwatch", "--config", str(config), *args]


def run_cli(config: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        borderwatch(config, *args), capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


class Workers:
    """``borderwatch worker`` processes, each the leader of a process group of its own."""

    def __init__(self, config: Path, logs: Path) -> None:
        self.config = config
        self.logs = logs
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int) -> list[subprocess.Popen]:
        self.logs.mkdir(parents=True, exist_ok=True)
        started = []
        for _ in range(count):
            log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
            process = subprocess.Popen(
                borderwatch(self.config, "worker"),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=REPO,
            )
            self.processes.append(process)
            started.append(process)
        return started

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(10)

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Database:
    """What the tests read from the database under test."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def scalar(self, sql: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    def rows(self, sql: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql)))

    def article_urls(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT url FROM articles")]

    def live_leases(self) -> int:
        return self.scalar(
            "SELECT count(*) FROM feed_state WHERE lease_token IS NOT NULL "
            "AND lease_expires_at > (now() AT TIME ZONE 'UTC')"
        )

    def settled(self, targets: int) -> bool:
        """Every target fetched (next fetch in the future), unleased, nothing staged."""
        done = self.scalar(
            "SELECT count(*) FROM feed_state WHERE lease_token IS NULL "
            "AND next_fetch_at > (now() AT TIME ZONE 'UTC')"
        )
        return done == targets and self.scalar("SELECT count(*) FROM staged_batches") == 0

    def close(self) -> None:
        self.engine.dispose()


def crawl_until_settled(
    config: Path, database: Database, targets: int, timeout: float = 240
) -> None:
    """Plan rounds (as the daemon would) until every target is crawled and stored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = run_cli(config, "collect")
        assert result.returncode == 0, result.stderr[-3000:]
        if database.settled(targets):
            # One more round stores whatever a worker published after the last one.
            assert run_cli(config, "collect").returncode == 0
            if database.settled(targets):
                return
        time.sleep(2)
    raise AssertionError("the crawl did not settle in time")


def max_concurrency(intervals: list[tuple[float, float]]) -> int:
    """The most requests that were in flight at once."""
    events = sorted([(s, 1) for s, _e in intervals] + [(e, -1) for _s, e in intervals])
    running = peak = 0
    for _moment, step in events:
        running += step
        peak = max(peak, running)
    return peak
