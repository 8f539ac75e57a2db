"""Webhook signing secrets sealed in Redis (store/sealing.py, store/webhooks.py)."""

from __future__ import annotations

import fakeredis
import pytest

from store.keys import RedisKeys
from store.sealing import MARK, SealBroken, Sealer
from store.webhooks import UNREADABLE_SECRET, Webhook, WebhookStore

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_sealed_value_opens_with_its_key_for_its_owner_only():
    sealer = Sealer("deployment key", "purpose")
    sealed = sealer.seal(SECRET, "wh_1")
    assert sealed.startswith(MARK) and SECRET not in sealed
    assert sealed != sealer.seal(SECRET, "wh_1")  # a nonce of its own each time
    assert sealer.open(sealed, "wh_1") == SECRET
    with pytest.raises(SealBroken):
        sealer.open(sealed, "wh_2")  # copied into another record
    with pytest.raises(SealBroken):
        Sealer("another key", "purpose").open(sealed, "wh_1")
    with pytest.raises(SealBroken):
        Sealer("deployment key", "another purpose").open(sealed, "wh_1")
    for damaged in (sealed[:20], sealed[:-4] + "!!!!", MARK):
        with pytest.raises(SealBroken):
            sealer.open(damaged, "wh_1")


def test_a_value_stored_before_sealing_opens_as_it_is():
    assert Sealer("k", "purpose").open(SECRET, "wh_1") == SECRET


def _webhook(webhook_id: str = "wh_1") -> Webhook:
    return Webhook(webhook_id, "acme", "https://example.com/hook", ("dataset.validated",),
                   SECRET, "2026-12-07T00:00:00Z")  # fmt: skip


def test_redis_holds_the_secret_sealed_and_the_store_gives_it_back_plain():
    client, keys = fakeredis.FakeRedis(decode_responses=True), RedisKeys()
    store = WebhookStore(client, keys, "deployment key")
    assert store.create(_webhook(), most=20)
    stored = client.hget(keys.webhook("wh_1"), "secret")
    assert stored.startswith(MARK) and SECRET not in str(client.hgetall(keys.webhook("wh_1")))
    assert store.get("wh_1").secret == SECRET
    assert [webhook.secret for webhook in store.list("acme")] == [SECRET]


def test_after_the_key_changed_the_webhook_is_disabled_saying_why():
    client, keys = fakeredis.FakeRedis(decode_responses=True), RedisKeys()
    WebhookStore(client, keys, "old key").create(_webhook(), most=20)
    found = WebhookStore(client, keys, "new key").get("wh_1")
    assert found.secret == "" and found.disabled == UNREADABLE_SECRET
    assert not found.wants("dataset.validated")


def test_a_webhook_stored_before_sealing_still_signs_with_its_secret():
    client, keys = fakeredis.FakeRedis(decode_responses=True), RedisKeys()
    webhook = _webhook()
    client.hset(
        keys.webhook("wh_1"), mapping={**webhook.__dict__, "events": '["dataset.validated"]'}
    )
    assert WebhookStore(client, keys, "any key").get("wh_1") == webhook
