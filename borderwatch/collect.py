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
from borderwatch.database_staging import DatabaseStaging
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


def configured_staging(config: Config, store: Store) -> StagingArea | DatabaseStaging:
    """Where this database's batches are staged: in the database itself when crawl workers on
    other machines publish into it (``queue:``), else the local staging folder."""
    if config.queue is not None:
        return DatabaseStaging(store, config.staging_path)
    return staging_for(store, StagingArea(config.staging_path))


def sync_configuration(config: Config, store: Store) -> None:
    """Make the sources and feed_state tables reflect the configured sources."""
    store.sync_sources(source_rows(config))
    store.sync_feeds(feed_rows(config))


def crawl_in_child(
    config: Config,
    database_url: str,
    plan: list[dict],
    time_limit: int,
    staging: StagingArea | DatabaseStaging | None = None,
) -> tuple[dict, bool, bool]:
    """Run the crawl in a child process; returns (report, timed_out, failed).

    The items are staged in ``staging``: the database's own staging area (``staging_for``, or
    the database itself), so that they are stored into no other database. The child writes the
    targets' outcomes after publishing the batch; a child that dies first writes none, and the
    targets stay due with their old validators."""
    if staging is None:
        store = Store(database_url, create=False)
        try:
            staging = configured_staging(config, store)
        finally:
            store.close()
    job: dict = {"database": database_url, "options": crawl_options(config), "plan": plan}
    if isinstance(staging, DatabaseStaging):
        job["staging"] = str(staging.outgoing())
        job["staging_base"] = str(staging.base)
    else:
        job["staging"] = str(staging.root)
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
    # The child ends when this process does, however it ends (see crawl_child).
    job = {**job, "parent": os.getpid()}
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
    if config.queue is not None:
        return _plan_and_process(config, store, database_url)
    now = utcnow()
    plan = plan_targets(config, store.due_feeds(now))
    report = CollectReport(targets=len(plan))
    staging = configured_staging(config, store)
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
        # No repair is needed after a crawl that stopped early: its child wrote each target's
        # validators only after publishing the batch (without them if it did not finish), and
        # a child killed before that wrote none, so the targets are read in full again.
    progress = Progress("process", total=staging.pending_items() or None)
    result = process_staging(staging, store, processing_rules(config), progress=progress)
    progress.finish(f"items, {result.new} new, {result.relevant} relevant")
    report.new, report.relevant = result.new, result.relevant
    prune_expired_text(config, store)
    return report


def _plan_and_process(config: Config, store: Store, database_url: str) -> CollectReport:
    """With ``queue:``: lease the due targets and send them to the workers, then store what
    the workers have published meanwhile (unless a worker is storing it right now)."""
    from borderwatch.lock import LockHeld
    from borderwatch.planner import PlannerRefused, plan_round

    try:
        planned = plan_round(config, store, database_url)
    except PlannerRefused as exc:
        raise CollectBusy(str(exc)) from None
    report = CollectReport(targets=planned.targets)
    staging = configured_staging(config, store)
    try:
        result = process_staging(staging, store, processing_rules(config), wait=False)
    except LockHeld:
        log.info("a worker is storing the staged batches: left to it")
    else:
        report.new, report.relevant = result.new, result.relevant
    prune_expired_text(config, store)
    return report
