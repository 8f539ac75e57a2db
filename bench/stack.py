"""Sieve as in production for the benchmark: real redis-server, the Procfile's gunicorn web and
N Celery worker processes (concurrency 1, one polars thread each)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import requests

from cli.client import SieveClient
from cli.embedded_redis import free_port, spawn_redis_server, wait_for_port
from cli.multipart import MultipartFiles
from cli.processes import start_process
from cli.resumable import send_resumable

API_KEY = "sk-bench-0123456789abcdef0123456789"
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def epoch(timestamp: str) -> float:
    """Epoch seconds of an API timestamp (UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`)."""
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def peak_rss_mb(process: psutil.Process) -> float:
    """Peak resident set size (VmHWM) of a process, in MiB."""
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, psutil.Error):
        pass
    return 0.0


class Paced:
    """A request body read no faster than `rate` bytes a second."""

    def __init__(self, body: MultipartFiles, rate: float) -> None:
        self._body, self._rate = body, rate
        self._sent, self._started = 0, time.monotonic()

    def __len__(self) -> int:
        return len(self._body)

    def read(self, size: int = -1) -> bytes:
        block = self._body.read(min(size, 1 << 20) if size and size > 0 else 1 << 20)
        self._sent += len(block)
        ahead = self._started + self._sent / self._rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        return block


class BenchStack:
    def __init__(self, workdir: Path, chunk_bytes: int) -> None:
        self.workdir = workdir
        self.redis_port = free_port()
        self.redis = spawn_redis_server(self.redis_port, workdir / "redis", durable=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SIEVE_STORAGE_URL": f"file://{workdir / 'blobs'}",
            "SIEVE_PUBLIC_URL": self.url,
            "SIEVE_API_KEYS": f"bench:{API_KEY}",
            "SIEVE_SECRET_KEY": "bench",
            "SIEVE_CHUNK_BYTES": str(chunk_bytes),
            "SIEVE_MAX_ORG_BYTES": str(1 << 40),
            "SIEVE_WORKER_CONCURRENCY": "1",
            "POLARS_MAX_THREADS": "1",
            "PORT": str(self.port),
        }
        self.log = open(workdir / "stack.log", "ab")  # noqa: SIM115 - closed in stop()
        self.workers: list[subprocess.Popen] = []
        self.web = start_process("web", self.env, self.log)
        try:
            wait_for_port(self.port, timeout=60)
        except TimeoutError:
            self.stop()
            raise

    def restart_web(self) -> None:
        """A fresh web process, so its peak RSS belongs to the next upload alone."""
        self.web.send_signal(signal.SIGTERM)
        self.web.wait(timeout=60)
        self.web = start_process("web", self.env, self.log)
        wait_for_port(self.port, timeout=60)

    def set_workers(self, count: int) -> None:
        """Run exactly `count` fresh worker processes (each with one pool process)."""
        for worker in self.workers:
            worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            worker.wait(timeout=60)
        self.workers = [start_process("worker", self.env, self.log) for _ in range(count)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(self.pool_processes()) < count:
            time.sleep(0.2)
        time.sleep(1.0)  # let them connect to the broker

    def pool_processes(self) -> list[psutil.Process]:
        children = []
        for worker in self.workers:
            try:
                children.extend(psutil.Process(worker.pid).children(recursive=True))
            except psutil.NoSuchProcess:
                continue
        return children

    def web_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.web.pid).children(recursive=True)

    def upload(self, path: Path, dataset_type: str, rate_bytes_per_s: float | None = None) -> str:
        """Stream the file from disk as a multipart upload (no faster than `rate_bytes_per_s`,
        a client on a slower network); returns the dataset id."""
        body = MultipartFiles([("data", path)])
        response = requests.post(
            f"{self.url}/v1/datasets",
            params={"name": path.stem, "type": dataset_type},
            data=body if rate_bytes_per_s is None else Paced(body, rate_bytes_per_s),
            headers={**HEADERS, "Content-Type": body.content_type},
            timeout=3600,
        )
        response.raise_for_status()
        return response.json()["id"]

    def upload_in_parts(self, path: Path, dataset_type: str) -> str:
        """The file as a resumable upload, four parts at a time, as `sieve upload` sends it."""
        client = SieveClient(self.url, API_KEY)
        params = {"name": path.stem, "type": dataset_type}
        return send_resumable(client, path, params, self.workdir / "cli-uploads", lambda _: None)

    def wait_final(self, dataset_id: str, timeout: float = 3600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = requests.get(f"{self.url}/v1/datasets/{dataset_id}", headers=HEADERS)
            dataset = response.json()["dataset"]
            if dataset["validation_status"] in ("validated", "failed"):
                return dataset
            time.sleep(0.2)  # timings come from the server's timestamps, not from this poll
        raise TimeoutError(dataset_id)

    def delete(self, dataset_id: str) -> None:
        requests.delete(f"{self.url}/v1/datasets/{dataset_id}", headers=HEADERS)

    def stop(self) -> None:
        for process in [*self.workers, self.web, self.redis]:
            process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.web, self.redis]:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()
