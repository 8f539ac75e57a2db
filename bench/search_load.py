"""Row searches that starve no one, under load: 32 searches at once on a 150 MB dataset (each
scanning every part for a word it never finds, so each runs its whole budget), while another
organization asks for its usage; that organization's p50 / p99 beside its own baseline with no
search running, in the same run on the same stack (gevent web workers, as deployed). Then the
same 32 with the default per-organization bound: how many are refused (429).

    python -m bench.search_load [--mb 150] [--searches 32] [--seconds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import datagen
from bench.api_latency import _percentile
from bench.every_type import DATA
from bench.stack import HEADERS, BenchStack

OTHER_KEY = "sk-bench-other-0123456789abcdef01234"
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}


def _usage_latencies(url: str, seconds: float, clients: int = 4) -> list[float]:
    samples: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        session, mine = requests.Session(), []
        while time.monotonic() < stop:
            started = time.perf_counter()
            session.get(f"{url}/v1/datasets/usage", headers=OTHER).raise_for_status()
            mine.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def _searches(url: str, dataset_id: str, count: int, seconds: float) -> dict:
    """`count` clients searching over and over for `seconds`: answers by status, and the
    searches' own latencies."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    partial = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    query = {"q": "zzz-not-there", "field": "text", "limit": 10}

    def client() -> None:
        nonlocal partial
        session = requests.Session()
        while time.monotonic() < stop:
            started = time.perf_counter()
            answer = session.get(
                f"{url}/v1/datasets/{dataset_id}/rows", params=query, headers=HEADERS
            )
            took = (time.perf_counter() - started) * 1000
            with lock:
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    latencies.append(took)
                    partial += bool(answer.json()["partial"])
            if answer.status_code == 429:
                time.sleep(float(answer.headers.get("Retry-After", "1")))

    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": statuses, "latencies": latencies, "partial": partial}


def _figures(samples: list[float]) -> dict:
    return {
        "requests": len(samples),
        "p50_ms": round(_percentile(samples, 0.5), 1),
        "p99_ms": round(_percentile(samples, 0.99), 1),
    }


def run(megabytes: int = 150, searches: int = 32, seconds: float = 20.0) -> dict:
    path = datagen.dataset(DATA, "embed-jsonl", megabytes)
    with tempfile.TemporaryDirectory() as folder:
        stack = BenchStack(Path(folder), 64 << 20)
        try:
            stack.set_workers(2)
            dataset_id = stack.upload(path, "embed-input")
            stack.wait_final(dataset_id)
            stack.env["SIEVE_API_KEYS"] += f",other:{OTHER_KEY}"
            stack.env["SIEVE_MAX_SEARCHES_PER_ORG"] = str(searches)
            stack.restart_web()
            baseline = _figures(_usage_latencies(stack.url, seconds / 2))
            found: dict = {}
            loaded = threading.Thread(
                target=lambda: found.update(_searches(stack.url, dataset_id, searches, seconds))
            )
            loaded.start()
            time.sleep(1.0)  # every search under way
            under_load = _figures(_usage_latencies(stack.url, seconds - 2))
            loaded.join()
            stack.env["SIEVE_MAX_SEARCHES_PER_ORG"] = "4"  # the default
            stack.restart_web()
            bounded = _searches(stack.url, dataset_id, searches, seconds / 2)
        finally:
            stack.stop()
    return {
        "mb": megabytes,
        "searches": searches,
        "usage_alone": baseline,
        "usage_under_searches": under_load,
        "searches_answered": _figures(found["latencies"]),
        "searches_partial": found["partial"],
        "statuses": found["statuses"],
        "bounded_statuses": bounded["statuses"],
    }


def table(result: dict) -> list[str]:
    alone, loaded = result["usage_alone"], result["usage_under_searches"]
    searched = result["searches_answered"]
    return [
        f"{result['searches']} searches at once on a {result['mb']} MB dataset, another "
        "organization's GET /v1/datasets/usage (4 clients):",
        "",
        "| | requests | p50 | p99 |",
        "|---|---|---|---|",
        f"| usage, no search running | {alone['requests']} | {alone['p50_ms']} ms | "
        f"{alone['p99_ms']} ms |",
        f"| usage, {result['searches']} searches running | {loaded['requests']} | "
        f"{loaded['p50_ms']} ms | {loaded['p99_ms']} ms |",
        f"| the searches themselves ({result['searches_partial']} of {searched['requests']} "
        f"partial) | {searched['requests']} | {searched['p50_ms']} ms | {searched['p99_ms']} ms |",
        "",
        f"With the default bound (4 per organization): answers by status "
        f"{dict(sorted(result['bounded_statuses'].items()))}.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=150)
    parser.add_argument("--searches", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print("\n".join(table(run(args.mb, args.searches, args.seconds))))


if __name__ == "__main__":
    main()
