"""The service's Prometheus metrics, declared once for every process type.

prometheus-client's multi-process mode: each web and worker process writes its figures to
files in PROMETHEUS_MULTIPROC_DIR, set by `prepare_metrics_dir` before prometheus_client is
imported (so that its children inherit it); a scrape merges the folder's files. Processes on
one host share SIEVE_METRICS_DIR; a worker host without a web process serves its own folder on
SIEVE_WORKER_METRICS_PORT. What Redis knows (queue depth, datasets by status, storage used) is
read at scrape time by the web process (api/views/metrics.py), not counted here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"
_METRICS: dict[str, Any] = {}


def prepare_metrics_dir(configured: str, fresh: bool = False) -> str:
    """Point this process (and those it starts) at its metrics folder: `configured`, shared by
    the host's processes, or a private temporary one. `fresh` empties it first (the one who
    starts every process of the folder may)."""
    if os.environ.get(ENV) and not configured:
        return os.environ[ENV]  # set by the parent that started this process
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="sieve-metrics-"))
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(folder)
    return str(folder)


def metric(name: str) -> Any:
    """One of the metrics below, made at first use (after the folder is known)."""
    if not _METRICS:
        _METRICS.update(_declare())
    return _METRICS[name]


def _declare() -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    seconds = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
    return {
        "requests": Counter(
            "sieve_http_requests", "HTTP requests answered", ["method", "route", "status"]
        ),
        "request_seconds": Histogram(
            "sieve_http_request_duration_seconds", "Time to answer", ["method", "route"],
            buckets=seconds,
        ),
        "upload_bytes": Counter("sieve_upload_bytes", "Bytes of files received"),
        "tasks_running": Gauge(
            "sieve_tasks_in_progress", "Tasks being run by worker processes", ["task"],
            multiprocess_mode="livesum",
        ),
        "validations": Counter(
            "sieve_validations", "Datasets judged", ["dataset_type", "status"]
        ),
        "validation_seconds": Histogram(
            "sieve_validation_duration_seconds", "From creation to verdict", ["dataset_type"],
            buckets=seconds,
        ),
        "rows": Counter("sieve_rows_validated", "Rows read by validation", ["dataset_type"]),
        "findings": Counter(
            "sieve_findings", "Findings of validation, by rule", ["dataset_type", "rule"]
        ),
        "webhook_deliveries": Counter(
            "sieve_webhook_deliveries", "Webhook delivery attempts", ["event", "outcome"]
        ),
    }  # fmt: skip


def mark_process_dead(pid: int) -> None:
    """A process of the folder ended: its live gauges leave the sums."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def folder_registry() -> Any:
    """A new registry of every figure written to this host's folder (with no folder: this
    process's own figures, as in a test's app)."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    registry = CollectorRegistry()
    if os.environ.get(ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess(REGISTRY))
    return registry


class _ThisProcess:
    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def collect(self) -> Any:
        yield from self._registry.collect()
