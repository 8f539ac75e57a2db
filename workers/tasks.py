"""Celery tasks: thin wrappers that parse the message, call the pipeline and fan out.

Messages carry ids and byte ranges only (and the id of the request that started the work, for
the logs). An unexpected error in a step is retried a few times (a transient storage or Redis
hiccup); when the attempts run out the dataset is failed with a clear message rather than left
"processing" forever.
"""

from __future__ import annotations

import logging

import redis
from celery import Task, shared_task

from store.patience import patiently
from workers import pipeline, retention
from workers.context import stores
from workers.planning import Chunk

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 2


def _retry_or_fail(task: Task, dataset_id: str, step: str, exc: Exception) -> None:
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        raise exc  # no broker to retry through: stay unacknowledged (see celery_app)
    attempts = stores().settings.max_chunk_attempts
    if task.request.retries + 1 < attempts:
        raise task.retry(exc=exc, countdown=RETRY_DELAY_SECONDS, max_retries=attempts)
    log.exception("dataset %s: %s failed %d times", dataset_id, step, attempts)
    pipeline.fail(stores(), dataset_id, f"internal error while {step}; please upload again")


@shared_task(name="workers.start_validation", bind=True)
def start_validation(self: Task, dataset_id: str, request_id: str = "") -> None:
    try:
        chunks = patiently(lambda: pipeline.start(stores(), dataset_id))
    except Exception as exc:  # noqa: BLE001 - see _retry_or_fail
        _retry_or_fail(self, dataset_id, "planning the validation", exc)
        return
    for chunk in chunks:
        validate_chunk.apply_async(
            (dataset_id, chunk.index, chunk.role, chunk.start, chunk.end),
            {"request_id": request_id},
        )


@shared_task(name="workers.validate_chunk", bind=True)
def validate_chunk(
    self: Task, dataset_id: str, index: int, role: str, start: int, end: int, request_id: str = ""
) -> None:
    try:
        chunk = Chunk(index, role, start, end)
        if not patiently(lambda: pipeline.register_attempt(stores(), dataset_id, chunk)):
            return
        completed = patiently(lambda: pipeline.validate_chunk(stores(), dataset_id, chunk))
    except Exception as exc:  # noqa: BLE001 - see _retry_or_fail
        _retry_or_fail(self, dataset_id, f"validating chunk {index} of the {role} file", exc)
        return
    if completed:
        finalize.apply_async((dataset_id,), {"request_id": request_id})


@shared_task(name="workers.finalize", bind=True)
def finalize(self: Task, dataset_id: str, request_id: str = "") -> None:
    try:
        patiently(lambda: pipeline.finalize(stores(), dataset_id))
    except Exception as exc:  # noqa: BLE001 - see _retry_or_fail
        _retry_or_fail(self, dataset_id, "merging the chunk reports", exc)


@shared_task(name="workers.purge_expired")
def purge_expired() -> int:
    """Beat's sweep: datasets past retention, then what dead uploads left (workers/retention)."""
    removed = retention.purge_expired(stores())
    retention.reclaim_abandoned_uploads(stores())
    return removed
