"""What `sieve status` and `GET /v1/status` show: queue depth, the tasks running on workers
that answer, the messages awaiting redelivery, and datasets by status.

Celery cannot tell how many workers will answer a broadcast, so asking them waits out the whole
timeout (1 s). Each worker joins a roll call when it is ready and leaves it when it stops; the
question then ends as soon as every worker on it has answered. One that does not answer in time
(killed, cut off) leaves the roll call, and one that answers joins it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import redis
from celery import Celery, signals

from store import Stores
from store.keys import RedisKeys
from store.redis_client import connect
from workers import context

QUEUE = "celery"
UNACKED = "unacked"  # kombu's hash of delivered but unacknowledged messages


def datasets_by_status(stores: Stores, org: str | None = None, page: int = 1000) -> Counter:
    """Every dataset's status, counted (only `org`'s when given)."""
    counts: Counter = Counter()
    start = 0
    key = stores.keys.org_datasets(org) if org else stores.keys.all_datasets()
    while ids := stores.redis.zrange(key, start, start + page - 1):
        pipe = stores.redis.pipeline(transaction=False)
        for dataset_id in ids:
            pipe.hget(stores.keys.dataset(dataset_id), "status")
        counts.update(status for status in pipe.execute() if status)
        start += page
    return counts


def system_status(
    stores: Stores, celery_app: Celery, ping_seconds: float = 1.0, org: str | None = None
) -> dict[str, Any]:
    """Tasks in progress are those the live workers say they run: a message a killed worker
    took stays unacknowledged until it is redelivered, and is counted apart."""
    active = _active_tasks(stores, celery_app, ping_seconds)
    running = sum(len(tasks) for tasks in active.values())
    unacknowledged = stores.redis.hlen(UNACKED)
    return {
        "queue_depth": stores.redis.llen(QUEUE),
        "tasks_in_progress": running,
        "awaiting_redelivery": max(0, unacknowledged - running),
        "workers_alive": sorted(active),
        "datasets_by_status": dict(sorted(datasets_by_status(stores, org).items())),
    }


def _active_tasks(stores: Stores, celery_app: Celery, ping_seconds: float) -> dict[str, list]:
    """Each answering worker's running tasks; the roll call is brought up to date."""
    key = stores.keys.known_workers()
    known = stores.redis.smembers(key)
    inspect = celery_app.control.inspect(timeout=ping_seconds, limit=len(known) or None)
    active = inspect.active() or {}
    silent = known - set(active) if len(active) < len(known) else set()
    if silent:
        stores.redis.srem(key, *silent)
    if set(active) - known:
        stores.redis.sadd(key, *active)
    return active


def install_roll_call() -> None:
    """Put this worker on the roll call when it is ready, and take it off when it stops."""
    signals.worker_ready.connect(_joined, weak=False)
    signals.worker_shutdown.connect(_left, weak=False)


def _joined(sender: Any = None, **_: Any) -> None:
    client, key = _roll_call()
    client.sadd(key, sender.hostname)
    client.close()


def _left(sender: Any = None, **_: Any) -> None:
    client, key = _roll_call()
    client.srem(key, sender.hostname)
    client.close()


def _roll_call() -> tuple[redis.Redis, str]:
    """A connection of its own (the worker's main process opens no stores: the pool processes
    it forks later would inherit them) and the roll call's key."""
    settings = context.settings()
    return connect(settings), RedisKeys(settings.key_prefix).known_workers()
