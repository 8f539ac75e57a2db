"""What `sieve status` shows: queue depth, workers alive, datasets by status."""

from __future__ import annotations

from collections import Counter
from typing import Any

from celery import Celery

from store import Stores

QUEUE = "celery"
UNACKED = "unacked"  # kombu's hash of delivered but unacknowledged messages


def datasets_by_status(stores: Stores, page: int = 1000) -> Counter:
    counts: Counter = Counter()
    start = 0
    key = stores.keys.all_datasets()
    while ids := stores.redis.zrange(key, start, start + page - 1):
        pipe = stores.redis.pipeline(transaction=False)
        for dataset_id in ids:
            pipe.hget(stores.keys.dataset(dataset_id), "status")
        counts.update(status for status in pipe.execute() if status)
        start += page
    return counts


def system_status(stores: Stores, celery_app: Celery, ping_seconds: float = 1.0) -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=ping_seconds) or []
    return {
        "queue_depth": stores.redis.llen(QUEUE),
        "tasks_in_progress": stores.redis.hlen(UNACKED),
        "workers_alive": sorted(name for reply in replies for name in reply),
        "datasets_by_status": dict(sorted(datasets_by_status(stores).items())),
    }
