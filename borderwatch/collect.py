"""One collection run: plan the due targets, crawl them in a child process, process the staging.

The crawl runs in a child because Twisted's reactor cannot be restarted within one process, and
so that a hard time limit can end it without harming the caller.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from borderwatch.config import Config
from borderwatch.ingest import process_staging, staging_for
from borderwatch.plan import crawl_options, feed_rows, plan_targets, processing_rules, source_rows
from borderwatch.progress import Progress
from borderwatch.retention import prune_expired_text
from crawler.staging import StagingArea
from pipeline.store import Store, utcnow

log = logging.getLogger("borderwatch")

# Seconds a terminated crawl gets to flush its staging batch before it is killed.
TERMINATE_GRACE = 10

# Crawl children running in this process, so that a stopping daemon can end them.
_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


class CollectBusy(Exception):
    """Another collect holds the database's collect lock; the message says which."""


def stop_running_crawls() -> int:
    """End every crawl child of this process and start no new one; returns how many ended."""
    _stopping.set()
    with _children_lock:
        children = list(_children)
    for child in children:
        stop_child(child)
    return len(children)


def allow_crawls() -> None:
    """Undo stop_running_crawls (tests, and a daemon started again in the same process)."""
    _stopping.clear()


@dataclass
class CollectReport:
    targets: int = 0
    fetched: int = 0
    staged: int = 0
    new: int = 0
    relevant: int = 0
    parsed: int = 0
    articles: int = 0
    timed_out: bool = False
    crawl_failed: bool = False


def sync_configuration(config: Config, store: Store) -> None:
    """Make the sources and feed_state tables reflect the configured sources."""
    store.sync_sources(source_rows(config))
    store.sync_feeds(feed_rows(config))


def crawl_in_child(
    config: Config,
    database_url: str,
    plan: list[dict],
    time_limit: int,
    staging: StagingArea | None = None,
) -> tuple[dict, bool, bool]:
    """Run the crawl in a child process; returns (report, timed_out, failed).

    The items are staged in ``staging``: the database's own staging area (``staging_for``),
    so that they are stored into no other database."""
    if staging is None:
        store = Store(database_url, create=False)
        try:
            staging = staging_for(store, StagingArea(config.staging_path))
        finally:
            store.close()
    job = {
        "database": database_url,
        "staging": str(staging.root),
        "options": crawl_options(config),
        "plan": plan,
    }
    return run_child(job, time_limit, config.data_path)


def check_in_child(config: Config, plan: list[dict], time_limit: int) -> tuple[dict, bool, bool]:
    """Fetch each target of ``plan`` once in a child process, writing nothing anywhere.

    The report's ``outcomes`` list holds one dict per target that answered (source, url and
    what ``record_fetch`` was told)."""
    job = {"check": True, "options": crawl_options(config), "plan": plan}
    return run_child(job, time_limit, None)


def run_child(job: dict, time_limit: int, workdir: Path | None) -> tuple[dict, bool, bool]:
    """Run ``python -m borderwatch.crawl_child`` on ``job`` with a hard time limit."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="crawl-", dir=workdir))
    plan_path, report_path = work / "plan.json", work / "report.json"
    plan_path.write_text(json.dumps(job, default=str), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "borderwatch.crawl_child",
        "--plan",
        str(plan_path),
        "--report",
        str(report_path),
    ]
    if _stopping.is_set():
        plan_path.unlink(missing_ok=True)
        work.rmdir()
        return {}, False, True
    child = subprocess.Popen(command, start_new_session=True)
    with _children_lock:
        _children.add(child)
    timed_out = False
    try:
        child.wait(timeout=time_limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        log.warning("crawl exceeded its time limit of %ss: stopping it", time_limit)
        stop_child(child)
    except BaseException:
        stop_child(child)
        raise
    finally:
        with _children_lock:
            _children.discard(child)
    report = {}
    if report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    stopped = _stopping.is_set()
    failed = (child.returncode != 0 and not timed_out) or stopped
    if stopped:
        log.info("crawl stopped: the daemon is shutting down")
    elif failed:
        log.error("crawl process exited with status %s", child.returncode)
    for path in (plan_path, report_path):
        path.unlink(missing_ok=True)
    work.rmdir()
    return report, timed_out, failed


def stop_child(child: subprocess.Popen) -> None:
    """SIGTERM (Scrapy closes the spider and publishes its batch), then SIGKILL if it lingers."""
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=TERMINATE_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        pass


def collect(config: Config, store: Store, database_url: str) -> CollectReport:
    """Crawl every due target once, then process everything staged.

    Holds the database's collect lock throughout: a second collect (the daemon's, or one run by
    hand) raises CollectBusy instead of crawling the same targets at the same time.
    """
    from borderwatch.lock import COLLECT, DatabaseLock, LockHeld

    lock = DatabaseLock(database_url, COLLECT)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise CollectBusy(f"another collect is running on this database ({exc})") from None
    try:
        return _collect_locked(config, store, database_url)
    finally:
        lock.release()


def _collect_locked(config: Config, store: Store, database_url: str) -> CollectReport:
    sync_configuration(config, store)
    now = utcnow()
    plan = plan_targets(config, store.due_feeds(now))
    report = CollectReport(targets=len(plan))
    staging = staging_for(store, StagingArea(config.staging_path))
    if plan:
        log.info("collect: %d targets due", len(plan))
        crawl, report.timed_out, report.crawl_failed = crawl_in_child(
            config,
            database_url,
            plan,
            config.collect.crawl_time_limit + TERMINATE_GRACE,
            staging,
        )
        report.fetched = int(crawl.get("fetched") or 0)
        report.staged = int(crawl.get("staged") or 0)
        report.parsed = int(crawl.get("parsed") or 0)
        report.articles = int(crawl.get("articles") or 0)
        if report.timed_out or report.crawl_failed:
            # A feed read before the crawl ended may list articles never fetched: read the
            # planned targets in full next time (stored articles are still skipped).
            store.forget_validators((t["source"], t["url"]) for t in plan)
    progress = Progress("process", total=staging.pending_items() or None)
    result = process_staging(staging, store, processing_rules(config), progress=progress)
    progress.finish(f"items, {result.new} new, {result.relevant} relevant")
    report.new, report.relevant = result.new, result.relevant
    prune_expired_text(config, store)
    return report
