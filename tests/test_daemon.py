"""The daemon as a real process (``borderwatch run``) against the sample site on 127.0.0.1.

Schedules are compressed to seconds. These tests poll the database and the daemon's log for the
moment they wait for, with generous deadlines; they assert outcomes, never durations.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import psutil
import pytest
import yaml
from sqlalchemy import text

from borderwatch.demo.sample_site import demo_sources
from borderwatch.timing import latest_slot
from pipeline.stages.normalize import canonical_url
from pipeline.store import Store
from tests.support.config import REPO, base_config, write_config

pytestmark = pytest.mark.slow
DEADLINE = 120


class DaemonProcess:
    """``borderwatch run`` in a child process, its log in a file."""

    def __init__(self, config_path: Path, log_path: Path, *options: str) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in wait()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("BORDERWATCH_DATABASE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "borderwatch", "--config", str(config_path), *options, "run"],
            stdout=self._log,
            stderr=self._log,
            cwd=config_path.parent,
            env=env,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = DEADLINE) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def wait_until(condition: Callable[[], Any], what: str, daemon: DaemonProcess | None = None):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if daemon is not None and daemon.process.poll() is not None:
            pytest.fail(f"daemon exited ({daemon.process.returncode}) waiting for {what}:\n"
                        f"{daemon.log[-3000:]}")  # fmt: skip
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}" + (f":\n{daemon.log[-3000:]}" if daemon else ""))


def scalar(db_url: str, sql: str, default: Any = 0) -> Any:
    store = Store(db_url, create=False)
    try:
        with store.engine.connect() as conn:
            value = conn.execute(text(sql)).scalar()
    except Exception:
        return default  # not created yet
    else:
        return default if value is None else value
    finally:
        store.close()


def linked_articles(server) -> set[str]:
    links = set()
    for urls in server.feed_urls().values():
        for url in urls:
            with urllib.request.urlopen(url, timeout=10) as response:
                parsed = feedparser.parse(response.read())
            links.update(canonical_url(e.link) for e in parsed.entries if e.get("link"))
    return links


def stored_articles(db_url: str) -> set[str]:
    store = Store(db_url, create=False)
    with store.engine.connect() as conn:
        urls = {r[0] for r in conn.execute(text("SELECT canonical_url FROM articles"))}
    store.close()
    return urls


def crawl_children(workdir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if "borderwatch.crawl_child" in cmdline and str(workdir) in cmdline:
            found.append(proc)
    return found


@pytest.fixture
def daemon_setup(tmp_path: Path, sample_site) -> Iterator[dict[str, Any]]:
    raw = base_config(tmp_path)
    raw["sources"] = demo_sources(sample_site.base_url)
    raw["collect"].update({"interval": "2s", "crawl_time_limit": "60s"})
    # No digest due at start unless a test asks for one.
    raw["schedule"].update({"timezone": "UTC", "digest_grace": "1s"})
    started: list[DaemonProcess] = []

    def start(changes: dict[str, Any] | None = None) -> DaemonProcess:
        for section, values in (changes or {}).items():
            raw[section].update(values)
        config_path = write_config(tmp_path, raw)
        daemon = DaemonProcess(config_path, tmp_path / "daemon.log")
        started.append(daemon)
        return daemon

    db_url = f"sqlite:///{tmp_path / 'data' / 'borderwatch.sqlite'}"
    yield {"start": start, "raw": raw, "db": db_url, "tmp": tmp_path, "site": sample_site}
    for daemon in started:
        daemon.kill()


def test_daemon_collects_refuses_a_second_and_stops_cleanly(daemon_setup) -> None:
    db, tmp = daemon_setup["db"], daemon_setup["tmp"]
    daemon = daemon_setup["start"]({"schedule": {"log_file": "logs/daemon.log"}})
    wait_until(
        lambda: scalar(db, "SELECT count(*) FROM runs WHERE job='collect' AND status='ok'") >= 2,
        "two collect runs",
        daemon,
    )
    second = subprocess.run(
        [sys.executable, "-m", "borderwatch", "--config", str(tmp / "config.yaml"), "run"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        cwd=tmp,
    )
    assert second.returncode == 1
    assert "another borderwatch daemon is already running on this database" in second.stderr
    assert str(daemon.process.pid) in second.stderr
    once = subprocess.run(
        [sys.executable, "-m", "borderwatch", "--config", str(tmp / "config.yaml"), "run",
         "--once"], capture_output=True, text=True, timeout=DEADLINE, cwd=tmp,
    )  # fmt: skip
    assert once.returncode == 1 and "already running" in once.stderr
    assert daemon.process.poll() is None

    daemon.signal(signal.SIGINT)
    assert daemon.wait() == 0
    assert stored_articles(db) == linked_articles(daemon_setup["site"])
    assert scalar(db, "SELECT count(*) FROM runs WHERE status='running'") == 0
    assert not crawl_children(tmp)
    log = daemon.log
    assert "jobs: added collect digest health" in log
    assert "borderwatch daemon stopped" in log
    # The same lines, with their timestamps, in the configured log file under data_dir.
    log_file = (tmp / "data" / "logs" / "daemon.log").read_text(encoding="utf-8")
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO borderwatch: jobs: added", log_file, re.M
    )
    assert "borderwatch daemon stopped" in log_file


def test_sigterm_mid_crawl_then_restart_completes_the_data(daemon_setup) -> None:
    db, tmp, site = daemon_setup["db"], daemon_setup["tmp"], daemon_setup["site"]
    # Slow the crawl down so that it is surely stopped half way.
    daemon = daemon_setup["start"]({"collect": {"download_delay": 0.5}})
    article_paths = {a.path for a in site.site.articles}

    def article_requests() -> int:
        return sum(1 for _m, path in list(site.request_log) if path in article_paths)

    wait_until(lambda: article_requests() >= 3, "the crawl to fetch some articles", daemon)
    assert crawl_children(tmp), "a crawl child should be running"
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert not crawl_children(tmp)
    served = linked_articles(site)
    first = stored_articles(db)
    assert first < served, "the crawl was meant to be interrupted"
    assert scalar(db, "SELECT count(*) FROM runs WHERE status='running'") == 0
    assert scalar(db, "SELECT status FROM runs WHERE job='collect' ORDER BY id DESC") == "partial"

    daemon = daemon_setup["start"]({"collect": {"download_delay": 0}})
    wait_until(lambda: stored_articles(db) == served, "every served article stored", daemon)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    # Nothing doubled: one row per article, and coverage agrees with the articles.
    assert scalar(db, "SELECT count(*) FROM articles") == len(served)
    assert scalar(db, "SELECT sum(articles) FROM daily_volume") == len(served)


def test_sighup_rejects_a_bad_config_and_applies_a_good_one(daemon_setup) -> None:
    db, tmp, raw = daemon_setup["db"], daemon_setup["tmp"], daemon_setup["raw"]
    daemon = daemon_setup["start"]()
    collects = "SELECT count(*) FROM runs WHERE job='collect' AND status != 'running'"
    wait_until(lambda: scalar(db, collects) >= 1, "a collect run", daemon)
    (tmp / "config.yaml").write_text(
        yaml.safe_dump({**raw, "collect": {**raw["collect"], "intervall": "1s"}}), encoding="utf-8"
    )
    daemon.signal(signal.SIGHUP)
    wait_until(lambda: "configuration not reloaded" in daemon.log, "the rejection", daemon)
    assert "collect.intervall: unknown key" in daemon.log
    # The old configuration keeps running: collect goes on.
    done = scalar(db, collects)
    wait_until(lambda: scalar(db, collects) >= done + 2, "more collect runs", daemon)

    write_config(tmp, {**raw, "collect": {**raw["collect"], "interval": "1h"}})
    daemon.signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded; jobs: updated collect" in daemon.log,
               "the reload", daemon)  # fmt: skip
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


def test_missed_digest_is_sent_once_on_restart(daemon_setup) -> None:
    db = daemon_setup["db"]
    zone = ZoneInfo("America/New_York")
    now = dt.datetime.now(dt.UTC)
    # The digest was due 3 hours ago, while the daemon was down; the grace is 20 hours.
    clock = (now - dt.timedelta(hours=3)).astimezone(zone).time().replace(second=0, microsecond=0)
    schedule = {"timezone": zone.key, "digest_grace": "20h", "digest_time": clock.strftime("%H:%M")}
    expected = latest_slot(now, clock, zone).day
    digests = "SELECT count(*) FROM runs WHERE job='digest' AND status='ok'"
    daemon = daemon_setup["start"]({"schedule": schedule})
    wait_until(lambda: scalar(db, digests) == 1, "the caught-up digest", daemon)
    assert str(scalar(db, "SELECT day FROM runs WHERE job='digest'")) == str(expected)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    outbox = daemon_setup["tmp"] / "data" / "outbox" / f"digest-{expected}.eml"
    assert outbox.exists()

    daemon = daemon_setup["start"]()
    wait_until(lambda: daemon.log.count("digest: nothing due") >= 1, "the digest check", daemon)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert scalar(db, digests) == 1


def test_short_soak() -> None:
    """benchmarks/bench_soak.py with a few cycles: memory, descriptors, children, articles."""
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_soak.py"), "--cycles", "8", "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "articles published / stored" in result.stdout


def test_one_daemon_per_database_on_every_backend(tmp_path: Path, db_url: str) -> None:
    """The daemon lock on SQLite (a file lock) and PostgreSQL (an advisory lock)."""
    config_path = write_config(tmp_path, base_config(tmp_path))
    first = DaemonProcess(config_path, tmp_path / "first.log", "--db", db_url)
    third = None
    try:
        wait_until(lambda: "jobs: added" in first.log, "the first daemon", first)
        second = subprocess.run(
            [sys.executable, "-m", "borderwatch", "--config", str(config_path), "--db", db_url,
             "run"], capture_output=True, text=True, timeout=DEADLINE, cwd=tmp_path,
        )  # fmt: skip
        assert second.returncode == 1
        assert "another borderwatch daemon is already running" in second.stderr
        first.signal(signal.SIGTERM)
        assert first.wait() == 0
        # Released with the process: a new daemon starts.
        third = DaemonProcess(config_path, tmp_path / "third.log", "--db", db_url)
        wait_until(lambda: "jobs: added" in third.log, "the third daemon", third)
        third.signal(signal.SIGTERM)
        assert third.wait() == 0
    finally:
        for daemon in (first, third):
            if daemon is not None:
                daemon.kill()


def test_scheduler_py_runs_the_daemon_jobs(tmp_path: Path) -> None:
    """``python scheduler.py`` is ``borderwatch run``: here with ``--once``, every job once."""
    config_path = write_config(tmp_path, base_config(tmp_path))
    db_url = f"sqlite:///{tmp_path / 'data' / 'borderwatch.sqlite'}"
    result = subprocess.run(
        [sys.executable, str(REPO / "scheduler.py"), "--config", str(config_path), "--once"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert scalar(db_url, "SELECT count(*) FROM runs WHERE job='collect' AND status='ok'") == 1
    assert scalar(db_url, "SELECT count(*) FROM runs WHERE job='health' AND status='ok'") == 1
