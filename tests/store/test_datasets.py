"""Dataset records, quota and keys on fakeredis: the atomic rules hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.datasets import ListQuery, utc_now
from tests.conftest import queued_record


@pytest.fixture
def stores(make_stores):
    return make_stores(max_org_bytes=100)


def test_reservations_are_absolute_so_retries_are_noops(stores):
    assert stores.quota.reserve("acme", "u1", 40)
    assert stores.quota.reserve("acme", "u1", 40)
    assert stores.quota.usage("acme") == 40
    assert stores.quota.reserve("acme", "u2", 60)
    assert not stores.quota.reserve("acme", "u3", 1)
    assert stores.quota.release("acme", "u2") == 60
    assert stores.quota.release("acme", "u2") == 0
    assert stores.quota.usage("acme") == 40


def test_create_takes_over_the_reservation_and_delete_releases_once(stores):
    stores.quota.reserve("acme", "ds-1", 30)
    stores.datasets.create(queued_record("ds-1", size=30), "ds-1")
    assert stores.quota.release("acme", "ds-1") == 0  # no longer a reservation
    assert stores.quota.usage("acme") == 30
    assert stores.datasets.delete("ds-1") == 30
    assert stores.datasets.delete("ds-1") is None
    assert stores.quota.usage("acme") == 0


def test_status_never_goes_backwards_nor_leaves_a_terminal_state(stores):
    stores.datasets.create(queued_record("ds-1"), None)
    assert stores.datasets.transition("ds-1", "processing")
    assert not stores.datasets.transition("ds-1", "queued")
    assert stores.datasets.transition("ds-1", "validated")
    assert not stores.datasets.transition("ds-1", "failed")
    assert not stores.datasets.transition("ds-1", None, metrics={"x": 1})
    assert stores.datasets.get("ds-1").status == "validated"


def test_transitions_do_not_resurrect_a_deletedqueued_record(stores):
    stores.datasets.create(queued_record("ds-1"), None)
    stores.datasets.delete("ds-1")
    assert not stores.datasets.transition("ds-1", "validated", parts=[])
    assert stores.datasets.get("ds-1") is None
    assert stores.datasets.save_chunk_report("ds-1", 0, {"a": 1}, 5) == (False, -1)


def test_chunk_reports_are_recorded_once(stores):
    stores.datasets.create(queued_record("ds-1"), None)
    assert stores.datasets.save_chunk_report("ds-1", 0, {"n": 1}, 5) == (True, 1)
    assert stores.datasets.save_chunk_report("ds-1", 0, {"n": 2}, 5) == (False, 1)
    assert stores.datasets.chunk_reports("ds-1") == {0: {"n": 1}}
    assert stores.datasets.get("ds-1").rows_seen == 5
    assert stores.datasets.claim_finalize("ds-1", 60)
    assert not stores.datasets.claim_finalize("ds-1", 60)


def test_get_hides_other_orgs(stores):
    stores.datasets.create(queued_record("ds-1", org="acme"), None)
    assert stores.datasets.get("ds-1", org="globex") is None
    assert stores.datasets.get("ds-1", org="acme").name == "ds-1"


def test_list_filters_newest_first(stores):
    start = utc_now()
    for i in range(5):
        extra = {"status": "failed"} if i == 2 else {}
        stores.datasets.create(
            queued_record(f"ds-{i}", at=start + timedelta(seconds=i), **extra), None
        )
    stores.datasets.create(queued_record("other", org="globex"), None)
    ids = lambda **q: [r.id for r in stores.datasets.list("acme", ListQuery(**q))]  # noqa: E731
    assert ids() == ["ds-4", "ds-3", "ds-2", "ds-1", "ds-0"]
    assert ids(validation_status="failed") == ["ds-2"]
    assert ids(limit=2, offset=1) == ["ds-3", "ds-2"]
    assert ids(before=start + timedelta(seconds=2)) == ["ds-1", "ds-0"]
    assert ids(after=start + timedelta(seconds=2)) == ["ds-4", "ds-3"]
    assert ids(dataset_type="chat-finetune-input") == []


def test_api_keys_are_stored_hashed(stores):
    key = stores.api_keys.create("acme")
    assert stores.api_keys.organization_for(key) == "acme"
    for name in stores.redis.keys("*"):
        stored = stores.redis.get(name) if stores.redis.type(name) == "string" else ""
        assert key not in name and key not in stored
    assert stores.api_keys.revoke(key)
    assert stores.api_keys.organization_for(key) is None


def test_retention_removes_old_datasets_once_even_when_run_twice(make_stores):
    from workers.retention import purge_expired

    stores = make_stores(retention_days=1.0)
    old = utc_now() - timedelta(days=2)
    for dataset_id, at in (("old-1", old), ("new-1", utc_now())):
        stores.quota.reserve("acme", dataset_id, 10)
        stores.datasets.create(queued_record(dataset_id, at=at), dataset_id)
    assert stores.quota.usage("acme") == 20
    assert purge_expired(stores) == 1
    assert purge_expired(stores) == 0
    assert stores.quota.usage("acme") == 10
    assert stores.datasets.get("old-1") is None and stores.datasets.get("new-1") is not None


def test_a_silent_upload_is_reclaimed_and_a_live_or_finished_one_is_not(make_stores):
    import os
    import time

    from workers.retention import reclaim_abandoned_uploads

    stores = make_stores(abandoned_upload_seconds=60)
    stores.quota.reserve("acme", "dead-upload", 100)  # its web process died
    stores.quota.reserve("acme", "live-upload", 30)
    stores.quota.reserve("acme", "finished", 7)
    stores.datasets.create(queued_record("finished"), "finished")  # handed over to its record
    heartbeats = stores.keys.reservation_heartbeats()
    stores.redis.zadd(heartbeats, {stores.keys.reservation_member("acme", "dead-upload"): 1.0})
    dead = stores.blobs.open_writer("datasets/dead/upload/train")
    dead.write(b"half")
    live = stores.blobs.open_writer("datasets/live/upload/train")
    live.write(b"going")
    assert stores.quota.usage("acme") == 137

    old = time.time() - 3600
    os.utime(dead._temp, (old, old))  # nobody has written to it for an hour
    assert reclaim_abandoned_uploads(stores) == (1, 1)
    assert stores.quota.usage("acme") == 37  # live 30 + finished 7
    assert not dead._temp.exists() and live._temp.exists()
    assert reclaim_abandoned_uploads(stores) == (0, 0)  # once
    stores.quota.release("acme", "live-upload")
    assert stores.redis.zcard(heartbeats) == 0
    live.abort()


def test_a_text_file_recorded_before_files_had_their_own_separator_takes_the_datasets():
    import json

    from store.records import DatasetOptions, DatasetRecord, StoredFile
    from store.segments import Segment

    record = queued_record("old", "acme")
    record.options = DatasetOptions(text_separator="||")
    record.files = {"train": StoredFile((Segment("k", 3),), 3, "txt", "a.txt", "||")}
    raw = record.encode()
    files = json.loads(raw["files"])
    del files["train"]["separator"]
    raw["files"] = json.dumps(files)
    assert DatasetRecord.decode(raw).files["train"].separator == "||"
    assert DatasetRecord.decode(record.encode()).files["train"].separator == "||"
