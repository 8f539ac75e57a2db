"""Webhook endpoints, the messages waiting to reach them and the record of each attempt.

A message is kept (by `webhook id/message id`) with the time its next attempt is due. Whoever
claims due messages pushes their due time a lease ahead, so a message whose delivery task was
lost comes due again instead of being dropped: delivery is at least once, and the receiver
dedupes by `webhook-id` as the Standard Webhooks spec asks.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

import redis

from store.keys import RedisKeys
from store.sealing import SealBroken, Sealer

EVENTS = ("dataset.validated", "dataset.failed")
UNREADABLE_SECRET = (
    "its signing secret was sealed with another SIEVE_SECRET_KEY and cannot be read: "
    "delete this webhook and add it again"
)
TEST_EVENT = "webhook.test"  # sent on request to one endpoint, whatever its events
KEPT_DELIVERIES = 100  # attempts listed per endpoint, newest first

_CREATE = """
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1]) then return 0 end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# Due messages, each leased: its due time moves `lease` seconds ahead until it is finished or
# rescheduled, so two claimers never take the same message at once.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, key in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[1] + ARGV[2], key) end
return due
"""


# Only while the endpoint exists: a delete in between never leaves a stray key behind.
_DISABLE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'disabled', ARGV[1])
return 1
"""
_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
return 1
"""


class Outcome(StrEnum):
    DELIVERED = "delivered"  # a 2xx answer
    RETRYING = "retrying"  # failed; tried again at next_attempt_at
    FAILED = "failed"  # failed, and the attempts have run out
    DISABLED = "disabled"  # the endpoint answered 410 Gone: no more messages go to it


@dataclass(frozen=True)
class Webhook:
    id: str
    org: str
    url: str
    events: tuple[str, ...]
    secret: str  # whsec_…: shown once, when created; sealed in Redis (store/sealing.py)
    created_at: str
    disabled: str = ""  # why no message goes to it any more ("": it is active)

    def wants(self, event: str) -> bool:
        return not self.disabled and (event == TEST_EVENT or event in self.events)

    def to_hash(self, sealer: Sealer) -> dict[str, str]:
        sealed = sealer.seal(self.secret, self.id)
        return {**asdict(self), "events": json.dumps(list(self.events)), "secret": sealed}

    @classmethod
    def from_hash(cls, data: dict[str, str], sealer: Sealer) -> Webhook:
        """The webhook as stored; one whose secret no longer opens is disabled, saying why."""
        webhook = cls(**{**data, "events": tuple(json.loads(data["events"]))})
        try:
            return replace(webhook, secret=sealer.open(webhook.secret, webhook.id))
        except SealBroken:
            return replace(webhook, secret="", disabled=webhook.disabled or UNREADABLE_SECRET)


@dataclass(frozen=True)
class Message:
    """One event on its way to one endpoint; `body` is the JSON text signed and sent as is."""

    webhook_id: str
    id: str  # msg_…: the same on every attempt (the receiver's idempotency key)
    event: str
    body: str
    dataset_id: str = ""
    attempts: int = 0  # made so far
    created: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        return f"{self.webhook_id}/{self.id}"

    def attempted(self) -> Message:
        return replace(self, attempts=self.attempts + 1)


@dataclass(frozen=True)
class Delivery:
    """One attempt, as `GET /v1/webhooks/{id}/deliveries` lists it."""

    message_id: str
    event: str
    dataset_id: str
    attempt: int
    attempted_at: str
    outcome: Outcome
    duration_ms: int
    status_code: int | None = None
    error: str = ""  # why it failed, when there was no answer or a refusal
    response: str = ""  # the start of the answer's body
    next_attempt_at: str | None = None


class WebhookStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys, secret_key: str) -> None:
        """`secret_key`: the deployment's (store.signing_secret), which seals the endpoints'
        own signing secrets in Redis."""
        self._redis = client
        self._keys = keys
        self._sealer = Sealer(secret_key, purpose="sieve webhook signing secrets")
        self._create = client.register_script(_CREATE)
        self._claim = client.register_script(_CLAIM)
        self._disable = client.register_script(_DISABLE)
        self._record = client.register_script(_RECORD)

    # -- endpoints --------------------------------------------------------------------
    def create(self, webhook: Webhook, most: int) -> bool:
        """Store `webhook`; False (nothing stored) when its organization has `most` already."""
        keys = [self._keys.webhook(webhook.id), self._keys.org_webhooks(webhook.org)]
        fields = [item for pair in webhook.to_hash(self._sealer).items() for item in pair]
        return bool(self._create(keys=keys, args=[most, time.time(), webhook.id, *fields]))

    def get(self, webhook_id: str, org: str | None = None) -> Webhook | None:
        """The webhook, or None when it does not exist or belongs to another organization."""
        return self._owned(self._redis.hgetall(self._keys.webhook(webhook_id)), org)

    def list(self, org: str) -> list[Webhook]:
        """The organization's webhooks, read in one round trip (every verdict asks)."""
        ids = self._redis.zrange(self._keys.org_webhooks(org), 0, -1)
        pipe = self._redis.pipeline(transaction=False)
        for webhook_id in ids:
            pipe.hgetall(self._keys.webhook(webhook_id))
        found = (self._owned(data, org) for data in pipe.execute()) if ids else ()
        return [webhook for webhook in found if webhook is not None]

    def _owned(self, data: dict[str, str], org: str | None) -> Webhook | None:
        """The webhook of a hash read, unless it is gone or another organization's."""
        if not data or (org is not None and data.get("org") != org):
            return None
        return Webhook.from_hash(data, self._sealer)

    def subscribers(self, org: str, event: str) -> list[Webhook]:
        return [webhook for webhook in self.list(org) if webhook.wants(event)]

    def delete(self, webhook_id: str, org: str) -> bool:
        if self.get(webhook_id, org) is None:
            return False
        pipe = self._redis.pipeline()
        pipe.delete(self._keys.webhook(webhook_id), self._keys.webhook_deliveries(webhook_id))
        pipe.zrem(self._keys.org_webhooks(org), webhook_id)
        pipe.execute()
        return True  # its waiting messages are dropped when they come due

    def disable(self, webhook_id: str, reason: str) -> None:
        self._disable(keys=[self._keys.webhook(webhook_id)], args=[reason])

    # -- messages ---------------------------------------------------------------------
    def publish(self, message: Message, due: float | None = None) -> None:
        """Keep `message` and make it due at `due` (default: now)."""
        pipe = self._redis.pipeline()
        pipe.hset(self._keys.webhook_messages(), message.key, json.dumps(asdict(message)))
        pipe.zadd(self._keys.webhook_due(), {message.key: time.time() if due is None else due})
        pipe.execute()

    def claim_due(self, lease_seconds: float, most: int = 100) -> list[Message]:
        """Messages whose attempt is due, each leased to the caller for `lease_seconds`."""
        due_keys = self._claim(
            keys=[self._keys.webhook_due()], args=[time.time(), lease_seconds, most]
        )
        if not due_keys:
            return []
        found = self._redis.hmget(self._keys.webhook_messages(), due_keys)
        messages = [Message(**json.loads(raw)) for raw in found if raw]
        gone = [key for key, raw in zip(due_keys, found, strict=True) if not raw]
        if gone:
            self._redis.zrem(self._keys.webhook_due(), *gone)
        return messages

    def finish(self, message: Message) -> None:
        pipe = self._redis.pipeline()
        pipe.hdel(self._keys.webhook_messages(), message.key)
        pipe.zrem(self._keys.webhook_due(), message.key)
        pipe.execute()

    def waiting(self) -> int:
        """Messages not yet delivered nor given up (for the metrics)."""
        return int(self._redis.zcard(self._keys.webhook_due()))

    # -- attempts ---------------------------------------------------------------------
    def record(self, webhook_id: str, delivery: Delivery) -> None:
        """Add an attempt to the endpoint's record (when the endpoint still exists)."""
        keys = [self._keys.webhook(webhook_id), self._keys.webhook_deliveries(webhook_id)]
        self._record(keys=keys, args=[json.dumps(asdict(delivery)), KEPT_DELIVERIES])

    def deliveries(self, webhook_id: str) -> list[Delivery]:
        raw = self._redis.lrange(self._keys.webhook_deliveries(webhook_id), 0, -1)
        return [_delivery(json.loads(item)) for item in raw]


def _delivery(data: dict[str, Any]) -> Delivery:
    return Delivery(**{**data, "outcome": Outcome(data["outcome"])})
