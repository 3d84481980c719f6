"""Article extraction in worker processes: nothing lost or doubled, nothing left running.

Real parts throughout: a local site on 127.0.0.1, the real CLI (``borderwatch collect`` in a
subprocess, which starts the real crawl child and its extraction workers), real databases, and
real signals sent to the real worker processes.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import create_engine, text

from crawler.extract_pool import ExtractionFailed, ExtractionPool, workers_for
from tests.support.config import base_config, write_config
from tests.support.fault_server import article_html, rss, serve_pages

REPO = Path(__file__).resolve().parents[1]
FEEDS = 3
PER_FEED = 40
# Long articles, so that extraction is the crawl's main work and a worker is caught at it.
PARAGRAPHS = 60
# multiprocessing's "spawn" starts each worker with this on its command line.
WORKER_MARK = "--multiprocessing-fork"


def _site() -> dict[str, tuple[str, str]]:
    pages: dict[str, tuple[str, str]] = {"/robots.txt": ("text/plain", "User-agent: *\n")}
    for feed in range(FEEDS):
        links = []
        for n in range(PER_FEED):
            path = f"/news/{feed}/{n}.html"
            title = f"Border talks report {feed}-{n}"
            day = f"2025-10-{n % 28 + 1:02d}T08:00:00+05:00"
            pages[path] = ("text/html; charset=utf-8",
                           article_html(title, day, f"Reporter {feed}", PARAGRAPHS))  # fmt: skip
            links.append((title, "{BASE}" + path, f"Sun, {n % 28 + 1:02d} Oct 2025 03:00:00 GMT"))
        pages[f"/feeds/{feed}.xml"] = ("application/rss+xml", rss(links))
    return pages


@pytest.fixture
def site() -> Iterator[Any]:
    with serve_pages(_site()) as server:
        yield server


def _config(tmp_path: Path, base_url: str, workers: int | str) -> Path:
    raw = base_config(tmp_path)
    raw["collect"].update({"extract_workers": workers, "concurrency_per_domain": 8})
    raw["sources"] = [
        {
            "key": f"outlet{feed}",
            "name": f"Outlet {feed}",
            "country": "PK",
            "language": "en",
            "feeds": [f"{base_url}/feeds/{feed}.xml"],
        }
        for feed in range(FEEDS)
    ]
    return write_config(tmp_path, raw)


def _start_collect(config: Path, db_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "--config", str(config), "--db", db_url, "collect"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _workers_of(process: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in process.children(recursive=True):
        try:
            if WORKER_MARK in child.cmdline() and "resource_tracker" not in " ".join(
                child.cmdline()
            ):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _wait_for_workers(process: psutil.Process, count: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.is_running():
        workers = _workers_of(process)
        if len(workers) >= count:
            return workers
        time.sleep(0.02)
    raise AssertionError(f"the crawl never had {count} extraction workers running")


def _wait_for_article_requests(site: Any, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if sum(1 for path in site.requests if path.startswith("/news/")) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the crawl never asked for {count} article pages")


def _stored(db_url: str) -> list[tuple[str, str, str | None]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT url, text_status, text FROM articles")).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def _assert_all_stored_once(site: Any, db_url: str) -> None:
    expected = {site.url(f"/news/{f}/{n}.html") for f in range(FEEDS) for n in range(PER_FEED)}
    rows = _stored(db_url)
    urls = Counter(url for url, _status, _text in rows)
    assert set(urls) == expected
    assert max(urls.values()) == 1
    # Every page was extracted (its text is stored), whatever happened to the workers.
    assert {status for _url, status, _text in rows} == {"ok"}
    assert all("Torkham crossing" in (body or "") for _url, _status, body in rows)
    fetched = Counter(p for p in site.requests if p.startswith("/news/"))
    assert len(fetched) == len(expected) and max(fetched.values()) == 1


@pytest.mark.parametrize("workers", [0, 2])
def test_every_article_is_stored_once_with_or_without_the_pool(
    tmp_path: Path, site: Any, db_url: str, workers: int
) -> None:
    collect = _start_collect(_config(tmp_path, site.base_url, workers), db_url)
    out, err = collect.communicate(timeout=300)
    assert collect.returncode == 0, err
    _assert_all_stored_once(site, db_url)
    assert "lost" not in err and "without its text" not in err


def test_a_killed_worker_loses_no_page_and_no_worker_outlives_the_crawl(
    tmp_path: Path, site: Any, db_url: str
) -> None:
    collect = _start_collect(_config(tmp_path, site.base_url, 2), db_url)
    cli = psutil.Process(collect.pid)
    try:
        victim, *others = _wait_for_workers(cli, 2)
        seen = [victim, *others]
        victim.send_signal(signal.SIGKILL)
        # Its replacement, started to extract the page again, must end with the crawl too.
        deadline = time.monotonic() + 60
        while collect.poll() is None and time.monotonic() < deadline:
            seen.extend(w for w in _workers_of(cli) if w not in seen)
            time.sleep(0.05)
        out, err = collect.communicate(timeout=300)
    finally:
        if collect.poll() is None:
            collect.kill()
    assert collect.returncode == 0, err
    _assert_all_stored_once(site, db_url)
    # The page in the killed worker's hands was extracted again, and the log says so once.
    lost = [line for line in err.splitlines() if "lost while extracting" in line]
    assert len(lost) == 1, err
    assert "killed by signal 9" in lost[0] or "ended before it was ready" in lost[0]
    assert len(seen) >= 3  # the two first workers and the victim's replacement
    gone, alive = psutil.wait_procs(seen, timeout=10)
    assert not alive, f"extraction workers left running: {[p.pid for p in alive]}"


def test_workers_die_with_a_crawl_child_killed_with_sigkill(tmp_path: Path, site: Any) -> None:
    db_url = f"sqlite:///{tmp_path / 'kill.sqlite'}"
    collect = _start_collect(_config(tmp_path, site.base_url, 2), db_url)
    cli = psutil.Process(collect.pid)
    try:
        workers = _wait_for_workers(cli, 2)
        crawl_child = workers[0].parent()
        while crawl_child is not None and "borderwatch.crawl_child" not in crawl_child.cmdline():
            crawl_child = crawl_child.parent()
        assert crawl_child is not None, "no crawl child above the workers"
        crawl_child.send_signal(signal.SIGKILL)
        gone, alive = psutil.wait_procs(workers, timeout=15)
        for process in alive:  # leave nothing behind, whatever the outcome
            process.kill()
        assert not alive, f"left running after kill -9 of the crawl: {[p.pid for p in alive]}"
    finally:
        collect.kill()
        collect.communicate(timeout=60)


def test_a_crawl_stopped_with_sigterm_finishes_its_pages_and_stops_its_workers(
    tmp_path: Path, site: Any
) -> None:
    db_url = f"sqlite:///{tmp_path / 'stop.sqlite'}"
    collect = _start_collect(_config(tmp_path, site.base_url, 2), db_url)
    cli = psutil.Process(collect.pid)
    try:
        workers = _wait_for_workers(cli, 2)
        # The workers start with the crawl (its feeds were never fetched): stop it once it is
        # fetching article pages, so that there are pages in flight to finish.
        _wait_for_article_requests(site, 3)
        crawl_child = next(
            p for p in cli.children(recursive=True) if "borderwatch.crawl_child" in p.cmdline()
        )
        # What the daemon does when it stops (borderwatch.collect.stop_child): SIGTERM to the
        # crawl's whole process group.
        os.killpg(crawl_child.pid, signal.SIGTERM)
        out, err = collect.communicate(timeout=300)
    finally:
        if collect.poll() is None:
            collect.kill()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"extraction workers left running: {[p.pid for p in alive]}"
    # The signal reaches the crawl process, not its running workers (a worker still starting,
    # before it leaves the group, may be hit: it is replaced like any lost worker). Every page
    # fetched before the stop was extracted and stored once.
    for line in err.splitlines():
        if "lost while extracting" in line:
            assert "ended before it was ready (killed by signal 15)" in line, line
    assert "without its text" not in err, err
    rows = _stored(db_url)
    assert rows, "nothing was stored before the stop"
    assert {status for _url, status, _text in rows} == {"ok"}
    assert len({url for url, _status, _text in rows}) == len(rows)


@pytest.mark.parametrize("value", [-1, 65, "many", True, 1.5])
def test_a_bad_extract_workers_is_one_config_error_line(tmp_path: Path, value: Any) -> None:
    raw = base_config(tmp_path)
    raw["collect"]["extract_workers"] = value
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "borderwatch",
            "--config",
            str(write_config(tmp_path, raw)),
            "collect",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "collect.extract_workers" in lines[0] and "auto" in lines[0]
    assert "Traceback" not in done.stderr


def _page() -> bytes:
    return article_html("Border talks", "2025-10-03T08:00:00+05:00", "A reporter", 12).encode()


def test_a_hung_worker_is_replaced_and_its_page_extracted_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ExtractionPool(1, timeout=3) as pool:
        first = pool.submit(_page(), "http://127.0.0.1/a.html").result(timeout=120)
        assert first["status"] == "ok"
        (worker,) = _workers_of(psutil.Process())
        os.kill(worker.pid, signal.SIGSTOP)  # a worker that never answers again
        with caplog.at_level(logging.WARNING, logger="crawler.extract_pool"):
            again = pool.submit(_page(), "http://127.0.0.1/b.html").result(timeout=120)
        assert again["status"] == "ok" and again["text"] == first["text"]
        assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 1 and "no answer within 3s" in messages[0], messages
    assert _workers_of(psutil.Process()) == []


def exit_at_start(parent_pid: int) -> None:
    """A worker start-up that crashes (run in the worker: multiprocessing imports it by name)."""
    os._exit(3)


def test_a_page_lost_twice_fails_with_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    with ExtractionPool(1, on_start=exit_at_start) as pool:
        future = pool.submit(_page(), "http://127.0.0.1/c.html")
        with (
            caplog.at_level(logging.WARNING, logger="crawler.extract_pool"),
            pytest.raises(ExtractionFailed, match="lost 2 times.*exit status 3"),
        ):
            future.result(timeout=120)
    # The first loss is logged (and retried); the second is the caller's to report.
    assert len(caplog.records) == 1 and "c.html" in caplog.records[0].getMessage()
    assert _workers_of(psutil.Process()) == []


def test_pages_waiting_behind_a_lost_page_are_extracted_without_a_failed_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ExtractionPool(1, timeout=3) as pool:
        first = pool.submit(_page(), "http://127.0.0.1/first.html").result(timeout=120)
        (worker,) = _workers_of(psutil.Process())
        os.kill(worker.pid, signal.SIGSTOP)  # hangs on the next page; the one after waits
        with caplog.at_level(logging.WARNING, logger="crawler.extract_pool"):
            hung = pool.submit(_page(), "http://127.0.0.1/hung.html")
            behind = pool.submit(_page(), "http://127.0.0.1/behind.html")
            answers = [hung.result(timeout=120), behind.result(timeout=120)]
        assert [a["text"] for a in answers] == [first["text"]] * 2
        # One page was lost (and retried); the one behind it never reached the worker.
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 1 and "hung.html" in messages[0], messages
    assert _workers_of(psutil.Process()) == []


def test_workers_start_with_a_crawl_of_new_feeds_and_not_for_a_poll_that_finds_nothing(
    tmp_path: Path, site: Any
) -> None:
    """Feeds never fetched will surely give pages to extract: workers start with the crawl and
    import their libraries while it starts, so they are there before the first article page is
    asked for (as many as leave the crawl process a core: one on two cores). A poll whose feeds
    all answer 304 starts none."""
    early = min(2, workers_for("auto") - 1)
    db_url = f"sqlite:///{tmp_path / 'start.sqlite'}"
    config = _config(tmp_path, site.base_url, 2)
    collect = _start_collect(config, db_url)
    cli = psutil.Process(collect.pid)
    workers_seen = False
    try:
        while collect.poll() is None:
            # Looked at before the requests: workers seen in this round existed before any
            # article request that the check below finds.
            workers_seen = workers_seen or len(_workers_of(cli)) >= early
            if any(path.startswith("/news/") for path in site.requests):
                break
            time.sleep(0.01)
        out, err = collect.communicate(timeout=300)
    finally:
        if collect.poll() is None:
            collect.kill()
    assert collect.returncode == 0, err
    assert workers_seen, "the first article page was asked for before the workers started"

    before = len(site.requests)
    again = _start_collect(config, db_url)
    poll = psutil.Process(again.pid)
    started = []
    try:
        while again.poll() is None:
            started.extend(_workers_of(poll))
            time.sleep(0.01)
        out, err = again.communicate(timeout=300)
    finally:
        if again.poll() is None:
            again.kill()
    assert again.returncode == 0, err
    assert not any(path.startswith("/news/") for path in site.requests[before:])
    assert started == [], "a poll that found nothing new started extraction workers"


def test_a_crawl_surely_extracts_when_a_target_was_never_fetched() -> None:
    from borderwatch.crawl_child import surely_extracts

    new = {"url": "http://127.0.0.1/feed.xml", "full_text": True}
    known = {**new, "etag": '"abc"', "last_modified": None, "body_hash": "f00"}
    hashed_only = {**new, "body_hash": "f00"}
    assert surely_extracts([known, new])
    assert not surely_extracts([known, hashed_only])
    # Without full text no article page is fetched, new or not.
    assert not surely_extracts([{**new, "full_text": False}])
    assert not surely_extracts([])
