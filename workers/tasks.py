"""Celery tasks: thin wrappers that parse the message, call the pipeline and fan out.

Messages carry ids and byte ranges only (and the id of the request that started the work, for
the logs). An unexpected error in a step is retried a few times (a transient storage or Redis
hiccup); when the attempts run out the dataset is failed with a clear message rather than left
"processing" forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

import redis
from celery import Task, shared_task

from store.blobs import StorageFullError
from store.patience import patiently
from store.webhooks import Message
from workers import pipeline, redrive, retention, webhooks
from workers.context import settings, stores
from workers.planning import Chunk

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 2
WEBHOOK_LEASE_SECONDS = 300  # longer than an attempt can take (timeout plus resolving)
T = TypeVar("T")
STORAGE_FULL = (
    "Sieve's storage is full, so validation could not write its results: a problem of the "
    "service, not of your data; upload again once space has been freed"
)


def _patiently(step: Callable[[], T]) -> T:
    """Run an idempotent step, waiting out a Redis restart or a storage outage first."""
    return patiently(step, settings().outage_patience_seconds)


def _retry_or_fail(task: Task, dataset_id: str, step: str, exc: Exception) -> None:
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        raise exc  # no broker to retry through: stay unacknowledged (see celery_app)
    if isinstance(exc, StorageFullError):  # the platform's fault, said as such
        log.error("dataset %s: storage full while %s", dataset_id, step)
        _fail(dataset_id, STORAGE_FULL)
        return
    attempts = stores().settings.max_chunk_attempts
    if task.request.retries + 1 < attempts:
        raise task.retry(exc=exc, countdown=RETRY_DELAY_SECONDS, max_retries=attempts)
    log.exception("dataset %s: %s failed %d times", dataset_id, step, attempts)
    _fail(
        dataset_id,
        f"internal error while {step} (a problem of the service, not of your data); "
        "please upload again",
    )


def _fail(dataset_id: str, reason: str) -> None:
    """Fail the dataset, and send its verdict's webhook messages now."""
    pipeline.fail(stores(), dataset_id, reason)
    send_webhooks.apply_async()


@shared_task(name="workers.start_validation", bind=True)
def start_validation(self: Task, dataset_id: str, request_id: str = "") -> None:
    try:
        chunks, complete = _patiently(lambda: pipeline.start(stores(), dataset_id))
    except Exception as exc:  # noqa: BLE001 - see _retry_or_fail
        _retry_or_fail(self, dataset_id, "planning the validation", exc)
        return
    for chunk in chunks:
        send_chunk(dataset_id, chunk, request_id)
    if complete:  # every chunk was validated while the upload streamed in
        finalize.apply_async((dataset_id,), {"request_id": request_id})


def send_chunk(dataset_id: str, chunk: Chunk, request_id: str = "") -> None:
    validate_chunk.apply_async((dataset_id, chunk.to_dict()), {"request_id": request_id})


@shared_task(name="workers.validate_chunk", bind=True)
def validate_chunk(self: Task, dataset_id: str, chunk_dict: dict, request_id: str = "") -> None:
    """`chunk_dict`: a Chunk's to_dict (its range and the spans that hold it)."""
    try:
        chunk = Chunk.from_dict(chunk_dict)
        if not _patiently(lambda: pipeline.register_attempt(stores(), dataset_id, chunk)):
            send_webhooks.apply_async()  # its verdict, when this delivery failed the dataset
            return
        completed = _patiently(lambda: pipeline.validate_chunk(stores(), dataset_id, chunk))
    except Exception as exc:  # noqa: BLE001 - see _retry_or_fail
        step = f"validating chunk {chunk_dict['index']} of the {chunk_dict['role']} file"
        _retry_or_fail(self, dataset_id, step, exc)
        return
    if completed:
        finalize.apply_async((dataset_id,), {"request_id": request_id})


@shared_task(name="workers.finalize", bind=True)
def finalize(self: Task, dataset_id: str, request_id: str = "") -> None:
    try:
        _patiently(lambda: pipeline.finalize(stores(), dataset_id))
    except Exception as exc:  # noqa: BLE001 - see _retry_or_fail
        _retry_or_fail(self, dataset_id, "merging the chunk reports", exc)
        return
    send_webhooks.apply_async()  # the verdict's messages, now rather than at beat's next look


@shared_task(name="workers.send_webhooks")
def send_webhooks() -> int:
    """Send each webhook message whose attempt is due to a task of its own (beat runs this
    every few seconds for retries; a verdict runs it at once); how many. First, announce the
    verdicts a process died before announcing."""
    webhooks.announce_missed(stores())
    due = stores().webhooks.claim_due(WEBHOOK_LEASE_SECONDS)
    for message in due:
        deliver_webhook.apply_async((asdict(message),))
    return len(due)


@shared_task(name="workers.deliver_webhook")
def deliver_webhook(message: dict) -> None:
    """One attempt at one message (workers/webhooks.deliver); a crash leaves it leased, and it
    comes due again when the lease ends."""
    webhooks.deliver(stores(), Message(**message))


@shared_task(name="workers.redrive_stalled")
def redrive_stalled() -> int:
    """Beat's sweep: send again what stalled datasets need (see workers/redrive); how many."""
    plans = redrive.plan_redrives(stores(), settings().stall_seconds)
    for plan in plans:
        log.warning("dataset %s stalled: driving it again", plan.dataset_id)
        if plan.start:
            start_validation.apply_async((plan.dataset_id,))
        for chunk in plan.chunks:
            send_chunk(plan.dataset_id, chunk)
        if plan.finalize:
            finalize.apply_async((plan.dataset_id,))
    return len(plans)


@shared_task(name="workers.purge_expired")
def purge_expired() -> int:
    """Beat's sweep: datasets past retention, then what dead uploads left (workers/retention)."""
    removed = retention.purge_expired(stores())
    retention.expire_uploads(stores())
    retention.reclaim_abandoned_uploads(stores())
    retention.remove_orphans(stores())
    return removed
