"""Webhooks: a verdict announced to its organization's endpoints, and one attempt to deliver a
message, signed per the Standard Webhooks spec (https://www.standardwebhooks.com).

A message body is the event's JSON text, the same on every attempt; each attempt signs it
with its own `webhook-timestamp`. A failed attempt is tried again after the next delay of
SIEVE_WEBHOOK_RETRY_SCHEDULE (with a little jitter, and no sooner than a Retry-After asks);
an answer of 410 Gone disables the endpoint, as the spec suggests.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from datetime import UTC, datetime

from standardwebhooks import Webhook as Signer

from store import Stores
from store.datasets import format_timestamp, utc_now
from store.records import DatasetRecord
from store.telemetry import metric
from store.webhooks import TEST_EVENT, Delivery, Message, Outcome, Webhook
from workers.webhook_http import Answer, TargetRefused, post, resolve

SHOWN_WARNINGS = 10  # a payload stays small (the spec suggests under 20 kB)
JITTER = 0.1  # each delay varies by up to ±10%
USER_AGENT = "Sieve-Webhooks/1"
MISSED_AFTER_SECONDS = 60  # a verdict not announced this long after it came was dropped


def announce_verdict(stores: Stores, record: DatasetRecord) -> int:
    """Queue a `dataset.<status>` message for each of the organization's endpoints that want
    it; how many. Its id derives from the dataset, so announcing twice is one event to the
    receiver, who dedupes by `webhook-id`."""
    event = f"dataset.{record.status}"
    body = _json(
        {"type": event, "timestamp": record.updated_at, "data": _verdict_data(stores, record)}
    )
    message_id = f"msg_{record.id.rsplit('-', 1)[-1]}_{record.status}"
    subscribers = stores.webhooks.subscribers(record.org, event)
    for webhook in subscribers:
        stores.webhooks.publish(Message(webhook.id, message_id, event, body, record.id))
    stores.datasets.announced(record.id)
    return len(subscribers)


def announce(stores: Stores, dataset_id: str) -> bool:
    """Announce the verdict of `dataset_id` as it is stored now; False (and nothing more to
    announce) when the dataset is gone or expired meanwhile."""
    record = stores.datasets.get(dataset_id)
    if record is None or not record.terminal:
        stores.datasets.announced(dataset_id)
        return False
    announce_verdict(stores, record)
    return True


def announce_missed(stores: Stores, older_than: float = MISSED_AFTER_SECONDS) -> int:
    """Announce the verdicts whose process died before it queued their messages (the verdict
    and its place among the unannounced are one step: store/datasets.py); how many."""
    return sum(
        announce(stores, dataset_id) for dataset_id in stores.datasets.unannounced(older_than)
    )


def announce_test(stores: Stores, webhook: Webhook) -> Message:
    """A `webhook.test` message to one endpoint, so its owner can check the receiving end."""
    data = {"webhook_id": webhook.id, "url": webhook.url}
    now = format_timestamp(utc_now())
    body = _json({"type": TEST_EVENT, "timestamp": now, "data": data})
    message = Message(webhook.id, f"msg_{secrets.token_hex(12)}", TEST_EVENT, body)
    stores.webhooks.publish(message)
    return message


def _verdict_data(stores: Stores, record: DatasetRecord) -> dict:
    warnings = record.validation_warnings or []
    report = record.report or {}
    return {
        "id": record.id,
        "name": record.name,
        "dataset_type": record.dataset_type,
        "validation_status": str(record.status),
        "validation_error": record.validation_error or "",
        "validation_warnings": warnings[:SHOWN_WARNINGS],
        "warnings_total": len(warnings),
        "findings": report.get("findings", 0),
        "rows": sum(part.get("num_rows", 0) for part in record.parts),
        "dry_run": record.dry_run,
        "created_at": record.created_at,
        "url": f"{stores.settings.public_url}/v1/datasets/{record.id}",
    }


def _json(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(webhook: Webhook, message: Message, now: float) -> dict[str, str]:
    """The spec's three headers (with the body as sent) and the content type."""
    moment = datetime.fromtimestamp(now, tz=UTC)
    signature = Signer(webhook.secret).sign(message.id, moment, message.body.encode())
    return {
        "webhook-id": message.id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def deliver(stores: Stores, message: Message) -> Delivery | None:
    """Make one attempt at `message`, record it and decide what comes next (done, again
    later, given up, endpoint disabled). None when its endpoint is gone or disabled."""
    webhook = stores.webhooks.get(message.webhook_id)
    if webhook is None or webhook.disabled:
        stores.webhooks.finish(message)
        return None
    message = message.attempted()
    settings = stores.settings
    now = time.time()
    try:
        target = resolve(webhook.url, settings.webhook_allow_private)
    except TargetRefused as exc:
        answer = Answer(None, 0, error=f"not sent: {exc}")
    else:
        headers = signed_headers(webhook, message, now)
        answer = post(target, message.body.encode(), headers, settings.webhook_timeout_seconds)
    outcome, next_at = _next_step(answer, message.attempts, settings.webhook_retry_schedule)
    delivery = Delivery(
        message_id=message.id,
        event=message.event,
        dataset_id=message.dataset_id,
        attempt=message.attempts,
        attempted_at=format_timestamp(datetime.fromtimestamp(now, tz=UTC)),
        outcome=outcome,
        duration_ms=answer.duration_ms,
        status_code=answer.status_code,
        error=answer.error,
        response=answer.response,
        next_attempt_at=format_timestamp(datetime.fromtimestamp(next_at, tz=UTC))
        if next_at
        else None,
    )
    stores.webhooks.record(webhook.id, delivery)
    metric("webhook_deliveries").labels(message.event, outcome).inc()
    if outcome == Outcome.RETRYING:
        stores.webhooks.publish(message, due=next_at)
        return delivery
    stores.webhooks.finish(message)
    if outcome == Outcome.DISABLED:
        stores.webhooks.disable(webhook.id, "the endpoint answered 410 Gone")
    return delivery


def _next_step(
    answer: Answer, attempts: int, schedule: tuple[float, ...]
) -> tuple[Outcome, float | None]:
    """The outcome of an attempt, and when the next one is due (None: there is none)."""
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        return Outcome.DELIVERED, None
    if answer.status_code == 410:
        return Outcome.DISABLED, None
    if attempts > len(schedule):
        return Outcome.FAILED, None
    delay = schedule[attempts - 1] * (1 + random.uniform(-JITTER, JITTER))
    delay = max(delay, min(answer.retry_after or 0.0, 24 * 3600))
    return Outcome.RETRYING, time.time() + delay
