"""p50/p99 of list and get with 10 000 datasets in one org under 32 concurrent clients, against
a bare Flask endpoint on the same gunicorn settings."""

from __future__ import annotations

import random
import statistics
import threading
import time

import requests

from store import open_stores
from store.datasets import format_timestamp, utc_now
from store.records import DatasetRecord, Status
from store.settings import Settings


def seed_datasets(env: dict[str, str], org: str, count: int) -> list[str]:
    stores = open_stores(Settings.from_env(env))
    ids = []
    for index in range(count):
        now = format_timestamp(utc_now())
        dataset_id = f"seeded-{index:06d}-x"
        record = DatasetRecord(
            id=dataset_id,
            org=org,
            name=f"seeded {index}",
            dataset_type="embed-input",
            status=Status.VALIDATED,
            created_at=now,
            updated_at=now,
        )
        stores.datasets.create(record, None)
        ids.append(dataset_id)
    return ids


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(
    url_for: callable, headers: dict[str, str], clients: int = 32, per_client: int = 60
) -> dict:
    """Latencies (ms) of `clients` threads each doing `per_client` GETs of url_for(i)."""
    samples: list[float] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        session = requests.Session()
        rng = random.Random(seed)
        mine = []
        for _ in range(per_client):
            started = time.perf_counter()
            response = session.get(url_for(rng), headers=headers)
            mine.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(_percentile(samples, 0.99), 2),
        "requests_per_s": round(len(samples) / elapsed, 1),
    }
