"""Planning for crawl workers: lease the due targets and send them, one message per shard.

With ``queue:`` configured the daemon (or one ``borderwatch collect``) is the single planner of
a database, under the database's ``plan`` lock: a second planner is refused. Leasing takes the
due rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and gives each a token, and a leased
target is not due again until its lease expires, so two planning rounds never send one target
twice while a worker may still be on it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass

from borderwatch.config import Config
from borderwatch.lock import PLAN, DatabaseLock, LockHeld
from borderwatch.plan import plan_targets
from borderwatch.shards import group_by_domain
from borderwatch.work_queue import ShardMessage, make_broker, send_shard
from pipeline.store import Store, utcnow

log = logging.getLogger("borderwatch")

# Seconds a shard's task may run beyond the crawl's own time limit (start-up, publishing,
# writing outcomes) before Dramatiq's time limit stops it.
TASK_SLACK = 120

# The plan lock when this process holds it for its whole life (the daemon).
_held: dict[str, DatabaseLock] = {}
_held_guard = threading.Lock()


class PlannerRefused(Exception):
    """Another process is the planner of this database; the message says which lock."""


@dataclass
class PlanReport:
    targets: int = 0
    shards: int = 0


def planner_name() -> str:
    return f"planner {socket.gethostname()}:{os.getpid()}"


def hold_plan_lock(database_url: str) -> DatabaseLock:
    """Become the planner of the database for the life of this process (the daemon); raises
    PlannerRefused when another process is."""
    lock = DatabaseLock(database_url, PLAN)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise PlannerRefused(f"another planner is running on this database ({exc})") from None
    with _held_guard:
        _held[database_url] = lock
    return lock


def release_plan_lock(database_url: str) -> None:
    with _held_guard:
        lock = _held.pop(database_url, None)
    if lock is not None:
        lock.release()


def plan_round(config: Config, store: Store, database_url: str) -> PlanReport:
    """Lease every due target and send it to the workers; raises PlannerRefused when another
    process plans for this database."""
    with _held_guard:
        held = database_url in _held
    if held:
        return _plan_locked(config, store)
    lock = DatabaseLock(database_url, PLAN)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise PlannerRefused(f"another planner is running on this database ({exc})") from None
    try:
        return _plan_locked(config, store)
    finally:
        lock.release()


def _plan_locked(config: Config, store: Store) -> PlanReport:
    assert config.queue is not None
    settings = config.queue
    leased = store.lease_due_feeds(utcnow(), planner_name(), settings.lease)
    tokens = {(row["source"], row["url"]): row["lease_token"] for row in leased}
    plan = plan_targets(config, leased)
    planned = {(entry["source"], entry["url"]) for entry in plan}
    # Leased but not to be crawled (no longer configured, or gone): free at once.
    store.release_leases([t for key, t in tokens.items() if key not in planned])
    report = PlanReport(targets=len(plan))
    if not plan:
        return report
    broker = make_broker(settings)
    time_limit_ms = (config.collect.crawl_time_limit + TASK_SLACK) * 1000
    identity = store.identity()
    shards = group_by_domain(plan)
    sent: set[str] = set()
    try:
        for shard, entries in shards.items():
            targets = [
                {
                    "source": e["source"],
                    "url": e["url"],
                    "lease_token": tokens[(e["source"], e["url"])],
                }
                for e in entries
            ]
            send_shard(broker, ShardMessage(shard, identity, targets), time_limit_ms)
            sent.add(shard)
    except Exception:
        # The broker cannot be reached: the shards not sent are due again next round.
        unsent = [
            tokens[(e["source"], e["url"])]
            for shard, entries in shards.items()
            if shard not in sent
            for e in entries
        ]
        store.release_leases(unsent)
        raise
    finally:
        broker.close()
    report.shards = len(sent)
    log.info("planned %d targets in %d shards", report.targets, report.shards)
    return report
