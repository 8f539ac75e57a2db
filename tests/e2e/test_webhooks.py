"""Webhooks through the real stack: gunicorn, a Celery worker and beat on a real Redis server,
to a receiver over HTTP on loopback (so SIEVE_WEBHOOK_ALLOW_PRIVATE=true), signatures checked
with the Standard Webhooks library."""

from __future__ import annotations

import functools
import os
import time

import pytest
import requests

from cli.embedded_redis import free_port
from store.datasets import parse_timestamp
from tests.e2e.conftest import KEYS, fresh_database, wait_until
from tests.e2e.test_cli import sieve
from tests.e2e.test_production import HEADERS, Deployment
from tests.webhook_receiver import Receiver, Reply


@pytest.fixture
def deployment(redis_server, tmp_path):
    started = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_WEBHOOK_ALLOW_PRIVATE="true",
        SIEVE_WEBHOOK_RETRY_SCHEDULE="1,1",
    )
    started.start_web("web.1", free_port())
    started.start("worker.1", "worker")
    started.start("beat.1", "beat")
    yield started
    started.stop()


def _verdict(url: str, body: bytes, name: str) -> dict:
    response = requests.post(
        f"{url}/v1/datasets",
        params={"name": name, "type": "embed-input"},
        files={"data": ("a.jsonl", body)},
        headers=HEADERS,
        timeout=30,
    )
    dataset_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dataset = requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS).json()["dataset"]
        if dataset["validation_status"] in ("validated", "failed"):
            return dataset
        time.sleep(0.1)
    raise AssertionError("no verdict")


def test_verdicts_are_delivered_signed_and_failures_retried(deployment):
    url = deployment.urls[0]
    receiver = Receiver()
    try:
        receiver.replies = [Reply(500, body=b"not yet")]
        created = requests.post(f"{url}/v1/webhooks", json={"url": receiver.url}, headers=HEADERS)
        assert created.status_code == 201
        webhook = created.json()["webhook"]

        good = _verdict(url, b'{"text": "a"}\n{"text": "b"}\n', "good")
        first, second = receiver.wait_for(2, timeout=30)[:2]
        heard = parse_timestamp(good["updated_at"]).timestamp()
        assert first.at - heard < 5  # the verdict's own task sends it, not beat's next look
        assert second.at - first.at >= 0.8  # retried after the schedule's ~1 s
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        payload = second.verified(webhook["secret"])
        assert payload["type"] == "dataset.validated"
        assert payload["data"]["id"] == good["id"] and payload["data"]["rows"] == 2

        bad = _verdict(url, b'{"text": "a"}\n{"text": 5}\n', "bad")
        third = receiver.wait_for(3, timeout=30)[2]
        payload = third.verified(webhook["secret"])
        assert payload["type"] == "dataset.failed"
        assert payload["data"]["id"] == bad["id"]
        assert payload["data"]["validation_error"] == bad["validation_error"]

        sent = requests.post(f"{url}/v1/webhooks/{webhook['id']}/test", headers=HEADERS).json()
        fourth = receiver.wait_for(4, timeout=30)[3]
        assert fourth.headers["webhook-id"] == sent["message_id"]
        assert fourth.verified(webhook["secret"])["type"] == "webhook.test"

        time.sleep(0.5)  # the last attempt's record is written just after its answer
        deliveries = requests.get(
            f"{url}/v1/webhooks/{webhook['id']}/deliveries", headers=HEADERS
        ).json()["deliveries"]
        shown = [(d["event"], d["attempt"], d["outcome"], d["status_code"]) for d in deliveries]
        assert shown == [
            ("webhook.test", 1, "delivered", 200),
            ("dataset.failed", 1, "delivered", 200),
            ("dataset.validated", 2, "delivered", 200),
            ("dataset.validated", 1, "retrying", 500),
        ]
        assert deliveries[-1]["response"] == "not yet"
        assert len(receiver.received) == 4  # nothing sent twice
    finally:
        receiver.close()


def test_the_cli_manages_webhooks(deployment, tmp_path):
    receiver = Receiver()
    env = {**os.environ, "SIEVE_URL": deployment.urls[0], "SIEVE_API_KEY": KEYS["acme"]}
    run = functools.partial(sieve, env, tmp_path)
    try:
        added = run("webhooks", "add", receiver.url, "--event", "dataset.failed")
        assert added.returncode == 0, added.stderr
        webhook_id = added.stdout.split()[1].rstrip(":")
        secret = added.stdout.splitlines()[1].removeprefix("secret: ")
        assert secret.startswith("whsec_")
        listed = run("webhooks", "list").stdout.splitlines()
        assert listed[0].split() == ["ID", "EVENTS", "URL"]
        assert listed[1].split() == [webhook_id, "dataset.failed", receiver.url]
        sent = run("webhooks", "test", webhook_id)
        assert sent.returncode == 0, sent.stderr
        [got] = receiver.wait_for(1)
        assert got.verified(secret)["type"] == "webhook.test"
        assert wait_until(lambda: "delivered" in run("webhooks", "deliveries", webhook_id).stdout)
        shown = run("webhooks", "deliveries", webhook_id).stdout.splitlines()
        assert shown[1].split()[1:] == ["webhook.test", "1", "delivered", "200"]
        refused = run("webhooks", "add", "ftp://example.com/x")
        assert refused.returncode == 2
        assert "url: 'ftp://example.com/x' is not an http:// or https:// URL" in refused.stderr
        assert run("webhooks", "delete", webhook_id).stdout == f"deleted {webhook_id}\n"
        assert "no webhooks" in run("webhooks", "list").stdout
    finally:
        receiver.close()
