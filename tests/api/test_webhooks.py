"""The /v1/webhooks views over fakeredis with the Flask test client."""

from __future__ import annotations

import base64

import pytest

from api import create_app
from store.webhooks import Delivery, Outcome


class Enqueuer:
    def __init__(self) -> None:
        self.sends = 0

    def send_webhooks(self) -> None:
        self.sends += 1


@pytest.fixture
def api(make_stores):
    stores = make_stores(max_webhooks_per_org=2)
    stores.api_keys.register("acme", "key-acme")
    stores.api_keys.register("globex", "key-globex")
    enqueuer = Enqueuer()
    return create_app(stores.settings, stores, enqueuer).test_client(), stores, enqueuer


ACME = {"Authorization": "Bearer key-acme"}
GLOBEX = {"Authorization": "Bearer key-globex"}
URL = "https://93.184.216.34/hooks"


def test_a_webhook_is_created_listed_got_and_deleted(api):
    client, _, _ = api
    created = client.post("/v1/webhooks", json={"url": URL}, headers=ACME)
    assert created.status_code == 201
    webhook = created.get_json()["webhook"]
    assert webhook["id"].startswith("wh_") and webhook["url"] == URL
    assert webhook["events"] == ["dataset.validated", "dataset.failed"]
    assert webhook["secret"].startswith("whsec_")
    assert len(base64.b64decode(webhook["secret"].removeprefix("whsec_"))) == 32
    listed = client.get("/v1/webhooks", headers=ACME).get_json()["webhooks"]
    assert listed == [{k: v for k, v in webhook.items() if k != "secret"}]  # shown once
    got = client.get(f"/v1/webhooks/{webhook['id']}", headers=ACME).get_json()["webhook"]
    assert "secret" not in got and got["id"] == webhook["id"]
    assert client.get("/v1/webhooks", headers=GLOBEX).get_json() == {"webhooks": []}
    assert client.delete(f"/v1/webhooks/{webhook['id']}", headers=GLOBEX).status_code == 404
    assert client.delete(f"/v1/webhooks/{webhook['id']}", headers=ACME).get_json() == {}
    assert client.get(f"/v1/webhooks/{webhook['id']}", headers=ACME).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "url: Missing data for required field."),
        ({"url": URL, "events": ["dataset.created"]}, "unknown event 'dataset.created'; the "
         "events are dataset.validated, dataset.failed"),
        ({"url": URL, "events": []}, "events: name at least one event"),
        ({"url": "ftp://example.com"}, "url: 'ftp://example.com' is not an http:// or https:// "
         "URL with a host"),
        ({"url": "http://127.0.0.1:9000/x"}, "url: 127.0.0.1 is a loopback address: Sieve does "
         "not send there unless SIEVE_WEBHOOK_ALLOW_PRIVATE=true"),
        ({"url": "http://sieve-no-such-host.invalid/x"}, "url: the host "
         "'sieve-no-such-host.invalid' could not be resolved"),
    ],
)  # fmt: skip
def test_a_bad_webhook_is_refused_saying_why(api, body, message):
    client, stores, _ = api
    response = client.post("/v1/webhooks", json=body, headers=ACME)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(message)
    assert stores.webhooks.list("acme") == []


def test_an_organization_s_webhooks_are_bounded(api):
    client, _, _ = api
    for _ in range(2):
        assert client.post("/v1/webhooks", json={"url": URL}, headers=ACME).status_code == 201
    refused = client.post("/v1/webhooks", json={"url": URL}, headers=ACME)
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        "your organization has 2 webhooks, the most it may: delete one"
    )
    assert client.post("/v1/webhooks", json={"url": URL}, headers=GLOBEX).status_code == 201


def test_deliveries_and_a_test_message(api):
    client, stores, enqueuer = api
    webhook = client.post("/v1/webhooks", json={"url": URL}, headers=ACME).get_json()["webhook"]
    sent = client.post(f"/v1/webhooks/{webhook['id']}/test", headers=ACME).get_json()
    assert sent["message_id"].startswith("msg_") and enqueuer.sends == 1
    [message] = stores.webhooks.claim_due(60)
    assert message.event == "webhook.test" and message.id == sent["message_id"]
    attempt = Delivery(message.id, "webhook.test", "", 1, "2026-12-06T00:00:00Z",
                       Outcome.RETRYING, 12, 500, "", "boom", "2026-12-06T00:00:05Z")  # fmt: skip
    stores.webhooks.record(webhook["id"], attempt)
    shown = client.get(f"/v1/webhooks/{webhook['id']}/deliveries", headers=ACME).get_json()
    assert shown["deliveries"][0]["outcome"] == "retrying"
    assert shown["deliveries"][0]["status_code"] == 500
    other = client.get(f"/v1/webhooks/{webhook['id']}/deliveries", headers=GLOBEX)
    assert other.status_code == 404
    stores.webhooks.disable(webhook["id"], "the endpoint answered 410 Gone")
    refused = client.post(f"/v1/webhooks/{webhook['id']}/test", headers=ACME)
    assert refused.status_code == 409
    listed = client.get("/v1/webhooks", headers=ACME).get_json()["webhooks"]
    assert listed[0]["disabled"] == "the endpoint answered 410 Gone"
