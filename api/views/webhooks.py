"""The /v1/webhooks resource: endpoints that hear about verdicts (workers/webhooks.py sends)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import asdict
from typing import Any

from flask import Blueprint, g

from api.auth import require_organization
from api.context import sieve
from api.errors import ApiError, bad_request, not_found
from api.operation import documented
from api.schemas.webhooks import (
    CreatedWebhookResponseSchema,
    CreateWebhookSchema,
    DeliveriesResponseSchema,
    TestSentSchema,
    WebhookListSchema,
    WebhookResponseSchema,
)
from store.datasets import format_timestamp, utc_now
from store.webhooks import Webhook
from workers.webhook_http import TargetRefused, resolve
from workers.webhooks import announce_test

bp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks")
bp.before_request(require_organization)
SECRET_BYTES = 32  # the spec asks for 24 to 64


def _view(webhook: Webhook) -> dict[str, Any]:
    view = {k: v for k, v in asdict(webhook).items() if k not in ("secret", "org")}
    view["disabled"] = webhook.disabled or None
    return view


def _owned(webhook_id: str) -> Webhook:
    webhook = sieve().stores.webhooks.get(webhook_id, org=g.org)
    if webhook is None:
        raise not_found("webhook not found")
    return webhook


@bp.post("")
@documented(
    "Add a webhook: a URL that receives a signed POST when a dataset is validated or fails",
    body=CreateWebhookSchema,
    response=CreatedWebhookResponseSchema,
    status=201,
    errors=("400", "409"),
)
def create(body: dict) -> dict:
    ctx = sieve()
    try:
        resolve(body["url"], ctx.settings.webhook_allow_private)
    except TargetRefused as exc:
        raise bad_request(f"url: {exc}") from None
    webhook = Webhook(
        id=f"wh_{secrets.token_hex(12)}",
        org=g.org,
        url=body["url"],
        events=tuple(dict.fromkeys(body["events"])),
        secret="whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode(),
        created_at=format_timestamp(utc_now()),
    )
    most = ctx.settings.max_webhooks_per_org
    if not ctx.stores.webhooks.create(webhook, most):
        raise ApiError(409, f"your organization has {most} webhooks, the most it may: delete one")
    return {"webhook": {**_view(webhook), "secret": webhook.secret}}


@bp.get("")
@documented(
    "List the organization's webhooks (their secrets are not shown)", response=WebhookListSchema
)
def list_webhooks() -> dict:
    return {"webhooks": [_view(w) for w in sieve().stores.webhooks.list(g.org)]}


@bp.get("/<webhook_id>")
@documented("Get a webhook", response=WebhookResponseSchema, errors=("404",))
def get(webhook_id: str) -> dict:
    return {"webhook": _view(_owned(webhook_id))}


@bp.delete("/<webhook_id>")
@documented("Delete a webhook: no message goes to it any more", errors=("404",))
def delete(webhook_id: str) -> dict:
    if not sieve().stores.webhooks.delete(webhook_id, g.org):
        raise not_found("webhook not found")
    return {}


@bp.get("/<webhook_id>/deliveries")
@documented(
    "The latest delivery attempts to a webhook, newest first (the last 100)",
    response=DeliveriesResponseSchema,
    errors=("404",),
)
def deliveries(webhook_id: str) -> dict:
    webhook = _owned(webhook_id)
    found = sieve().stores.webhooks.deliveries(webhook.id)
    return {"deliveries": [asdict(d) for d in found]}


@bp.post("/<webhook_id>/test")
@documented(
    "Send a webhook.test message to the webhook now (signed like every message)",
    response=TestSentSchema,
    errors=("404", "409"),
)
def send_test(webhook_id: str) -> dict:
    ctx = sieve()
    webhook = _owned(webhook_id)
    if webhook.disabled:
        raise ApiError(409, f"the webhook is disabled ({webhook.disabled}): add it again")
    message = announce_test(ctx.stores, webhook)
    ctx.enqueuer.send_webhooks()
    return {"message_id": message.id}
