"""What `sieve status` and `GET /v1/status` show: queue depth, the tasks running on workers
that answer, the messages awaiting redelivery, and datasets by status."""

from __future__ import annotations

from collections import Counter
from typing import Any

from celery import Celery

from store import Stores

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
    active = celery_app.control.inspect(timeout=ping_seconds).active() or {}
    running = sum(len(tasks) for tasks in active.values())
    unacknowledged = stores.redis.hlen(UNACKED)
    return {
        "queue_depth": stores.redis.llen(QUEUE),
        "tasks_in_progress": running,
        "awaiting_redelivery": max(0, unacknowledged - running),
        "workers_alive": sorted(active),
        "datasets_by_status": dict(sorted(datasets_by_status(stores, org).items())),
    }
