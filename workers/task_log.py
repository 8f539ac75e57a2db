"""One JSON log line per task: dataset, chunk, request id, duration, outcome; and the tasks
running, in the metrics (a pool process that ends leaves the sum)."""

from __future__ import annotations

import os
import time
from typing import Any

from celery import signals

from store.logs import configure_json_logging, log_event
from store.telemetry import mark_process_dead, metric

_started: dict[str, float] = {}


def _on_prerun(task_id: str = "", task: Any = None, **_: Any) -> None:
    _started[task_id] = time.perf_counter()
    metric("tasks_running").labels(getattr(task, "name", "unknown")).inc()


def _on_postrun(
    task_id: str = "",
    task: Any = None,
    args: Any = None,
    kwargs: Any = None,
    state: str = "",
    **_: Any,
) -> None:
    started = _started.pop(task_id, None)
    metric("tasks_running").labels(getattr(task, "name", "unknown")).dec()
    args, kwargs = list(args or []), dict(kwargs or {})
    log_event(
        "task",
        task=getattr(task, "name", None),
        task_id=task_id,
        dataset_id=args[0] if args else kwargs.get("dataset_id"),
        chunk=args[1] if len(args) > 1 else None,
        request_id=kwargs.get("request_id"),
        duration_ms=round((time.perf_counter() - started) * 1000, 1) if started else None,
        outcome=(state or "unknown").lower(),
    )


def install_task_logging() -> None:
    configure_json_logging()
    signals.task_prerun.connect(_on_prerun, weak=False)
    signals.task_postrun.connect(_on_postrun, weak=False)
    signals.worker_process_shutdown.connect(
        lambda pid=None, **_: mark_process_dead(pid or os.getpid()), weak=False
    )
