"""Webhook delivery (workers/webhooks.py) over fakeredis, to a real HTTP receiver on loopback:
signatures checked with the spec's own library, retries, 410, redirects, timeouts, refusals."""

from __future__ import annotations

import time

import pytest

from store.webhooks import Outcome, Webhook
from tests.conftest import queued_record
from tests.webhook_receiver import Receiver, Reply
from workers import webhooks
from workers.webhook_http import TargetRefused, check_url, resolve

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def stores(make_stores):
    return make_stores(webhook_allow_private=True, webhook_retry_schedule=(0.1, 0.2))


def _webhook(stores, url: str, org: str = "acme", events=("dataset.validated", "dataset.failed")):
    webhook = Webhook(
        f"wh_{org}{len(events)}", org, url, tuple(events), SECRET, "2026-12-06T00:00:00Z"
    )
    assert stores.webhooks.create(webhook, most=20)
    return webhook


def _concluded(stores, dataset_id: str, status: str = "validated", org: str = "acme"):
    stores.datasets.create(queued_record(dataset_id, org=org), None)
    stores.datasets.transition(dataset_id, status, validation_error="bad" * (status == "failed"))
    return stores.datasets.get(dataset_id)


def _deliver_due(stores) -> list:
    return [webhooks.deliver(stores, m) for m in stores.webhooks.claim_due(lease_seconds=60)]


def _wait_due(stores) -> list:
    deadline = time.time() + 5
    while time.time() < deadline:
        done = _deliver_due(stores)
        if done:
            return done
        time.sleep(0.05)
    raise AssertionError("nothing came due")


def test_a_verdict_reaches_the_endpoint_signed_per_the_spec(stores, receiver):
    webhook = _webhook(stores, receiver.url)
    record = _concluded(stores, "set-abc123", "validated")
    assert webhooks.announce_verdict(stores, record) == 1
    [delivery] = _deliver_due(stores)
    [got] = receiver.received
    payload = got.verified(SECRET)  # raises unless webhook-signature matches
    assert got.path == "/hooks/sieve?team=ml"
    assert got.headers["webhook-id"] == "msg_abc123_validated"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 5
    assert got.headers["Content-Type"] == "application/json"
    assert payload["type"] == "dataset.validated"
    assert payload["timestamp"] == record.updated_at
    data = payload["data"]
    assert data["id"] == "set-abc123" and data["validation_status"] == "validated"
    assert data["url"].endswith("/v1/datasets/set-abc123")
    assert delivery.outcome == Outcome.DELIVERED and delivery.status_code == 200
    assert stores.webhooks.deliveries(webhook.id) == [delivery]
    assert stores.webhooks.waiting() == 0


def test_failures_are_retried_with_backoff_then_delivered_under_one_id(stores, receiver):
    webhook = _webhook(stores, receiver.url)
    receiver.replies = [Reply(500, body=b"boom"), Reply(503, {"Retry-After": "0.5"})]
    webhooks.announce_verdict(stores, _concluded(stores, "set-def456", "failed"))
    first = _deliver_due(stores)[0]
    assert first.outcome == Outcome.RETRYING and first.status_code == 500
    assert first.response == "boom" and first.next_attempt_at
    assert _deliver_due(stores) == []  # not before its delay
    second = _wait_due(stores)[0]
    assert second.outcome == Outcome.RETRYING and second.status_code == 503
    waited = time.time()
    third = _wait_due(stores)[0]
    assert time.time() - waited >= 0.4  # Retry-After outweighs the schedule's 0.2 s
    assert third.outcome == Outcome.DELIVERED and third.attempt == 3
    assert [d.attempt for d in stores.webhooks.deliveries(webhook.id)] == [3, 2, 1]
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {"msg_def456_failed"}
    assert all(r.verified(SECRET)["type"] == "dataset.failed" for r in receiver.received)


def test_attempts_run_out_and_the_message_is_given_up(stores, receiver):
    _webhook(stores, receiver.url)
    receiver.replies = [Reply(500)] * 3
    webhooks.announce_verdict(stores, _concluded(stores, "set-ghi789"))
    outcomes = [_deliver_due(stores)[0].outcome, _wait_due(stores)[0].outcome]
    outcomes.append(_wait_due(stores)[0].outcome)
    assert outcomes == [Outcome.RETRYING, Outcome.RETRYING, Outcome.FAILED]
    assert stores.webhooks.waiting() == 0 and len(receiver.received) == 3


def test_410_gone_disables_the_endpoint(stores, receiver):
    webhook = _webhook(stores, receiver.url)
    receiver.replies = [Reply(410)]
    webhooks.announce_verdict(stores, _concluded(stores, "set-jkl012"))
    assert _deliver_due(stores)[0].outcome == Outcome.DISABLED
    assert stores.webhooks.get(webhook.id).disabled == "the endpoint answered 410 Gone"
    assert webhooks.announce_verdict(stores, _concluded(stores, "set-mno345")) == 0


def test_a_redirect_is_a_failure_and_is_not_followed(stores, receiver):
    _webhook(stores, receiver.url)
    receiver.replies = [Reply(302, {"Location": "http://169.254.169.254/latest/meta-data"})]
    webhooks.announce_verdict(stores, _concluded(stores, "set-pqr678"))
    delivery = _deliver_due(stores)[0]
    assert delivery.outcome == Outcome.RETRYING and delivery.status_code == 302
    assert len(receiver.received) == 1


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(make_stores, receiver):
    stores = make_stores(webhook_allow_private=True, webhook_timeout_seconds=0.3)
    _webhook(stores, receiver.url)
    receiver.replies = [Reply(pause=1.5)]
    webhooks.announce_verdict(stores, _concluded(stores, "set-stu901"))
    delivery = _deliver_due(stores)[0]
    assert delivery.status_code is None and delivery.error == "no answer within 0.3 s"
    assert delivery.outcome == Outcome.RETRYING


def test_a_loopback_target_is_not_sent_to_unless_allowed(make_stores, receiver):
    stores = make_stores()  # SIEVE_WEBHOOK_ALLOW_PRIVATE unset
    _webhook(stores, receiver.url)
    webhooks.announce_verdict(stores, _concluded(stores, "set-vwx234"))
    delivery = _deliver_due(stores)[0]
    assert delivery.error == (
        "not sent: 127.0.0.1 is a loopback address: Sieve does not send there unless "
        "SIEVE_WEBHOOK_ALLOW_PRIVATE=true"
    )
    assert receiver.received == []


def test_only_the_organization_s_endpoints_that_want_the_event_hear_of_it(stores, receiver):
    _webhook(stores, receiver.url, org="globex")
    only_failures = _webhook(stores, receiver.url, events=("dataset.failed",))
    assert webhooks.announce_verdict(stores, _concluded(stores, "set-yza567")) == 0
    assert webhooks.announce_verdict(stores, _concluded(stores, "set-bcd890", "failed")) == 1
    [message] = stores.webhooks.claim_due(60)
    assert message.webhook_id == only_failures.id


def test_a_deleted_endpoint_gets_nothing_and_keeps_no_record(stores, receiver):
    webhook = _webhook(stores, receiver.url)
    webhooks.announce_verdict(stores, _concluded(stores, "set-efg123"))
    assert stores.webhooks.delete(webhook.id, "acme")
    assert _deliver_due(stores) == [None]
    assert receiver.received == [] and stores.webhooks.waiting() == 0
    assert stores.redis.keys("*webhook:*") == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.1.2.3/hook", "private"),
        ("http://100.64.0.1/hook", "private"),  # carrier-grade NAT
        ("http://169.254.169.254/latest", "link-local"),  # cloud metadata
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
    ],
)
def test_addresses_sieve_may_not_reach_are_refused(url, kind):
    with pytest.raises(TargetRefused, match=f"is a {kind} address"):
        resolve(url, allow_private=False)


def test_allowing_private_addresses_still_refuses_the_unroutable():
    assert resolve("http://10.1.2.3:9000/x?y=1", allow_private=True).path == "/x?y=1"
    with pytest.raises(TargetRefused, match="multicast"):
        resolve("http://224.0.0.1/hook", allow_private=True)
    assert resolve("https://93.184.216.34/hook", allow_private=False).port == 443


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/x", "is not an http:// or https:// URL"),
        ("https:///nohost", "is not an http:// or https:// URL"),
        ("https://user:pw@example.com/x", "put no user or password in the url"),
        ("https://example.com/x#part", "#fragment"),
        ("https://example.com:99999/x", "is not a URL"),
        ("https://example.com/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_urls_that_cannot_be_webhooks_are_refused_with_the_reason(url, problem):
    with pytest.raises(TargetRefused, match=problem.replace("?", r"\?")):
        check_url(url)


def test_a_verdict_whose_process_died_before_announcing_it_is_announced_by_beat(stores, receiver):
    """The verdict and its place among the unannounced verdicts are one Redis step; beat's
    look announces what a crash left, once, and forgets a dataset deleted meanwhile."""
    _webhook(stores, receiver.url)
    _concluded(stores, "set-hij456", "failed")  # ...and the process died: nothing queued
    _concluded(stores, "set-klm789", "validated")
    stores.datasets.create(queued_record("set-gone00"), None)
    stores.datasets.transition("set-gone00", "validated")
    stores.datasets.delete("set-gone00")
    assert stores.webhooks.claim_due(60) == []
    assert webhooks.announce_missed(stores, older_than=0) == 2
    assert webhooks.announce_missed(stores, older_than=0) == 0  # announced once
    assert sorted(m.dataset_id for m in stores.webhooks.claim_due(60)) == [
        "set-hij456",
        "set-klm789",
    ]
    assert stores.redis.zcard(stores.keys.unannounced_verdicts()) == 0


def test_an_announced_verdict_is_not_announced_again(stores, receiver):
    _webhook(stores, receiver.url)
    webhooks.announce_verdict(stores, _concluded(stores, "set-nop012"))
    assert webhooks.announce_missed(stores, older_than=0) == 0
    assert len(stores.webhooks.claim_due(60)) == 1
