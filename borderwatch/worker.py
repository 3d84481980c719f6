"""``borderwatch worker``: take shards of leased targets from the queue and crawl them.

Any number of workers, on any machine with the same config.yaml and database, consume the
Dramatiq queue (``borderwatch.work_queue``). For each message a worker

1. takes the shard's own lock (a shard is never crawled by two processes at once) and keeps
   the targets whose lease still carries the message's token (a repeated or outdated message
   does nothing: tasks are idempotent, as at-least-once delivery requires);
2. runs the crawl child, which dies with the worker, publishes the batch into the database and
   only then writes the targets' outcomes, each while its lease token still matches;
3. stores what is staged if it wins the processing lock (one writer at a time).

A heartbeat thread refreshes the worker's ``crawl_workers`` row and extends the leases of the
shard it crawls; a worker that dies stops both, so its leases expire and Dramatiq hands its
message to another worker once its broker heartbeat times out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import threading
from typing import Any

import dramatiq

from borderwatch.collect import (
    TERMINATE_GRACE,
    configured_staging,
    crawl_in_child,
    stop_running_crawls,
)
from borderwatch.config import Config
from borderwatch.database_staging import DatabaseStaging
from borderwatch.ingest import process_staging
from borderwatch.lock import DatabaseLock, LockHeld
from borderwatch.plan import plan_targets, processing_rules
from borderwatch.work_queue import ACTOR_NAME, QUEUE_NAME, ShardMessage, make_broker
from pipeline.store import Store, utcnow

log = logging.getLogger("borderwatch")


class CrawlWorker:
    """One worker process: the broker's consumer, the heartbeat, the crawl of each shard."""

    def __init__(self, config: Config, database_url: str) -> None:
        if config.queue is None:
            raise ValueError("config.yaml has no queue: section: there is nothing to consume")
        self.config = config
        self.settings = config.queue
        self.database_url = database_url
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = utcnow()
        self.store = Store(database_url)
        self.staging = configured_staging(config, self.store)
        assert isinstance(self.staging, DatabaseStaging)
        self.shard: str | None = None
        self.tokens: list[str] = []
        self.broker: Any = None
        self._state = threading.Lock()
        self._stop = threading.Event()

    # -- life cycle -----------------------------------------------------------------------------
    def run(self) -> None:
        """Consume until SIGTERM or SIGINT."""
        broker = self.broker = make_broker(self.settings)
        # An unreachable broker ends the command with one line before this worker is listed.
        broker.client.ping()
        dramatiq.Actor(
            self.crawl_shard,
            broker=broker,
            actor_name=ACTOR_NAME,
            queue_name=QUEUE_NAME,
            priority=0,
            options={},
        )
        # Batches a crawl on this machine finished but did not publish before it died.
        left = self.staging.publish_leftovers()
        if left:
            log.info("published %d batch(es) left by an earlier crawl on this machine", left)
        self._beat()
        beater = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        beater.start()
        consumer = dramatiq.Worker(
            broker, queues={QUEUE_NAME}, worker_threads=1, worker_timeout=1000
        )
        # One message at a time: a shard waiting behind a long crawl belongs to an idle worker.
        consumer.queue_prefetch = 1
        previous = {
            sig: signal.signal(sig, lambda *_: self._stop.set())
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        log.info("borderwatch worker %s started: queue %s", self.name, self.settings.namespace)
        consumer.start()
        try:
            while not self._stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("stopping: finishing the current shard, if any")
            stop_running_crawls()
            consumer.stop(timeout=(TERMINATE_GRACE + 5) * 1000)
            broker.close()
            self.store.remove_worker(self.name)
            self.store.close()
        log.info("borderwatch worker %s stopped", self.name)

    def _heartbeats(self) -> None:
        every = max(0.5, self.settings.worker_timeout / 4)
        while not self._stop.wait(every):
            try:
                self._beat()
            except Exception as exc:  # the database may be away for a moment
                log.warning("heartbeat failed: %s", exc)

    def _beat(self) -> None:
        with self._state:
            shard, tokens = self.shard, list(self.tokens)
        self.store.worker_heartbeat(
            self.name, socket.gethostname(), os.getpid(), self.started_at, shard
        )
        if self.broker is not None:
            # Any broker command renews this worker's heartbeat in Redis; a requeue of nothing
            # is the cheapest. Dramatiq's consumer sends none while its one message is being
            # worked on, and would otherwise be taken for dead during a long crawl.
            self.broker.do_requeue(QUEUE_NAME)
        if tokens:
            until = utcnow() + dt.timedelta(seconds=self.settings.lease)
            self.store.extend_leases(tokens, until)

    # -- one message ----------------------------------------------------------------------------
    def crawl_shard(self, payload: dict[str, Any]) -> None:
        """The task: crawl one shard's targets whose lease the message still holds."""
        message = ShardMessage.from_payload(payload)
        if message.database != self.store.identity():
            log.error(
                "shard %s was planned for another database (%s): ignored; every worker of a "
                "queue must use the planner's database",
                message.shard,
                message.database,
            )
            return
        lock = DatabaseLock(self.database_url, f"shard:{message.shard}")
        try:
            lock.acquire()
        except LockHeld:
            log.warning(
                "shard %s is being crawled by another process: message dropped", message.shard
            )
            return
        try:
            self._crawl_locked(message)
        finally:
            lock.release()
        self._process()

    def _crawl_locked(self, message: ShardMessage) -> None:
        wanted = {(t["source"], t["url"]): t["lease_token"] for t in message.targets}
        rows = [
            row
            for row in self.store.feed_state_rows(list(wanted))
            if row.get("lease_token") and row["lease_token"] == wanted[(row["source"], row["url"])]
        ]
        if not rows:
            log.info(
                "shard %s: no target still leased to this message (done already)", message.shard
            )
            return
        plan = plan_targets(self.config, rows)
        tokens = {(row["source"], row["url"]): row["lease_token"] for row in rows}
        for entry in plan:
            entry["lease_token"] = tokens[(entry["source"], entry["url"])]
        with self._state:
            self.shard, self.tokens = message.shard, list(tokens.values())
        self._beat()
        try:
            report, timed_out, failed = crawl_in_child(
                self.config,
                self.database_url,
                plan,
                self.config.collect.crawl_time_limit + TERMINATE_GRACE,
                self.staging,
            )
        finally:
            with self._state:
                self.shard, self.tokens = None, []
        self.staging.publish_leftovers()
        if timed_out or failed:
            # Outcomes the child did not write: the targets are due again at once.
            self.store.release_leases(list(tokens.values()))
        self.store.worker_finished_shard(self.name)
        log.info(
            "shard %s: %d targets, %s responses, %s items staged%s",
            message.shard,
            len(plan),
            report.get("fetched", 0),
            report.get("staged", 0),
            " (crawl stopped early)" if timed_out or failed else "",
        )

    def _process(self) -> None:
        """Store the staged batches if no other process is storing (single writer)."""
        with contextlib.suppress(LockHeld):
            process_staging(self.staging, self.store, processing_rules(self.config), wait=False)
