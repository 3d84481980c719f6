"""The crawl queue on Dramatiq's Redis broker: one message per shard of leased targets.

A message carries a shard (a registrable domain) and its targets as (source, url, lease token);
the worker reads everything else (validators, configuration) afresh when it takes the message,
so a message delivered twice, or after its lease was taken over, does nothing harmful: a target
whose token no longer matches is skipped. Dramatiq acknowledges a message only when its task
returns, and re-delivers the unacknowledged messages of a worker whose heartbeat stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from borderwatch.config import QueueSettings

QUEUE_NAME = "crawl"
ACTOR_NAME = "crawl_shard"
# Share of broker commands (per million) that also look for dead workers' messages to requeue.
# Dramatiq's default (1 in 1000) can leave a dead worker's shard waiting for many minutes on a
# quiet queue; the check is one cheap Lua step.
MAINTENANCE_CHANCE = 100_000


def make_broker(settings: QueueSettings) -> RedisBroker:
    """A Dramatiq Redis broker for ``settings`` with the crawl queue declared."""
    broker = RedisBroker(
        url=settings.broker,
        namespace=settings.namespace,
        heartbeat_timeout=settings.worker_timeout * 1000,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    broker.declare_queue(QUEUE_NAME)
    return broker


@dataclass(frozen=True)
class ShardMessage:
    """What one message asks: crawl these leased targets of one registrable domain."""

    shard: str
    database: str  # the identity of the database the targets belong to
    targets: list[dict[str, str]]  # source, url, lease_token

    def as_payload(self) -> dict[str, Any]:
        return {"shard": self.shard, "database": self.database, "targets": self.targets}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ShardMessage:
        return cls(str(payload["shard"]), str(payload["database"]), list(payload["targets"]))


def send_shard(broker: RedisBroker, message: ShardMessage, time_limit_ms: int) -> str:
    """Put one shard on the queue; returns the message id."""
    sent = broker.enqueue(
        dramatiq.Message(
            queue_name=QUEUE_NAME,
            actor_name=ACTOR_NAME,
            args=(message.as_payload(),),
            kwargs={},
            options={"time_limit": time_limit_ms, "max_retries": 3},
        )
    )
    return sent.message_id


def queued_shards(broker: RedisBroker) -> tuple[list[ShardMessage], int]:
    """The shards waiting on the queue, and how many messages are out with workers."""
    client = broker.client
    base = f"{broker.namespace}:{QUEUE_NAME}"
    waiting_ids = [i.decode() for i in client.lrange(base, 0, -1)]
    bodies = client.hgetall(f"{base}.msgs")
    waiting = []
    for message_id in waiting_ids:
        body = bodies.get(message_id.encode())
        if body is None:
            continue
        decoded = json.loads(body)
        waiting.append(ShardMessage.from_payload(decoded["args"][0]))
    return waiting, max(0, len(bodies) - len(waiting))
