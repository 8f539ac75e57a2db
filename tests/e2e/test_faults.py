"""Fault drills on real processes: a worker's pool process killed with SIGKILL mid-chunk."""

from __future__ import annotations

import json
import signal
import time

import psutil
import redis

from tests.e2e.test_production import Deployment, _upload, _wait


def test_kill_9_mid_chunk_redelivers_and_finishes(redis_server, tmp_path):
    deployment = Deployment(f"{redis_server}/11", tmp_path, SIEVE_CHUNK_BYTES=str(4 * 1024 * 1024))
    redis.Redis.from_url(deployment.redis_url).flushdb()
    try:
        from cli.launcher import free_port

        deployment.start_web("web.1", free_port())
        victim = deployment.start("worker.1", "worker")  # alone: the first chunk is surely its
        dataset_id = _upload(deployment.urls[0], 600_000, "drill")  # ~20 chunks of 4 MB
        client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not client.hlen(f"sieve:ds:{dataset_id}:attempts"):
            time.sleep(0.01)
        children = psutil.Process(victim.pid).children()
        assert children, "the worker has a pool process"
        for child in children:
            child.send_signal(signal.SIGKILL)  # dies mid-task: no ack, no report
        deployment.start("worker.2", "worker")
        dataset = _wait(deployment.urls[0], dataset_id, timeout=120)
        assert dataset["validation_status"] == "validated", dataset.get("validation_error")
        assert sum(p["num_rows"] for p in dataset["dataset_parts"]) == 600_000
        assert dataset["validation_warnings"] == []
        attempts = {
            int(k): int(v) for k, v in client.hgetall(f"sieve:ds:{dataset_id}:attempts").items()
        }
        reports = [json.loads(r) for r in client.hvals(f"sieve:ds:{dataset_id}:reports")]
        assert len(reports) == len(attempts)
        assert max(attempts.values()) >= 2, attempts  # the killed chunk ran again
        assert sum(r["rows_seen"] for r in reports) == 600_000
    finally:
        deployment.stop()
