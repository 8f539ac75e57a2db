"""The holes of upload intake, each closed: a part can't change under validation, parts racing
complete or abort leave nothing, dry runs and open uploads are counted, expiry holds on every
request, and a dead holder of the advance lock strands nothing."""

from __future__ import annotations

import hashlib
import io
import os
import random
import threading
import time

import pytest

from api import part_streaming, resumable
from store.segments import SegmentedFile
from tests.api.test_resumable_unit import (
    AUTH,
    PART,
    blob_files,
    complete,
    jsonl_bytes,
    open_upload,
    parts_of,
    put,
    service,  # noqa: F401 - the fixture
    sha,
)
from workers.retention import remove_orphans

TRIALS = 100  # a 1-in-30 interleaving shows up with probability 1 - (29/30)**100 > 96 %


def _renamed(part: bytes) -> bytes:
    """Other bytes of the same length: the first row's key misspelt."""
    return part.replace(b'"text"', b'"tex_"', 1)


def test_a_part_already_validated_cannot_change(service):  # noqa: F811
    client, stores, enqueuer, _ = service
    data = jsonl_bytes(4 * PART + 100)
    upload = open_upload(client, data)
    parts = parts_of(data)
    for number in range(1, 5):
        assert put(client, upload["id"], number, parts[number - 1]).status_code == 200
    assert enqueuer.chunks  # part 1's bytes were cut and sent to validation
    again = put(client, upload["id"], 1, parts[0])
    assert again.status_code == 200 and again.get_json()["part"]["number"] == 1  # idempotent
    changed = put(client, upload["id"], 1, _renamed(parts[0]))
    assert changed.status_code == 409
    assert changed.get_json()["message"].startswith("part 1 was already received with other")
    assert put(client, upload["id"], 5, parts[4]).status_code == 200
    assert complete(client, upload["id"], sha(_renamed(parts[0]) + data[PART:])).status_code == 400
    response = complete(client, upload["id"], sha(data))
    assert response.status_code == 200
    record = stores.datasets.get(response.get_json()["id"])
    assert (
        SegmentedFile(stores.blobs, record.files["train"].segments).read_range(0, 20) == data[:20]
    )


def test_a_part_not_yet_cut_may_be_replaced_and_its_old_bytes_go(service):  # noqa: F811
    client, stores, _, root = service
    data = jsonl_bytes(3 * PART + 100)
    upload = open_upload(client, data)
    parts = parts_of(data)
    wrong = _renamed(parts[2])
    assert put(client, upload["id"], 3, wrong).status_code == 200
    assert put(client, upload["id"], 3, parts[2]).status_code == 200  # nothing read it yet
    assert sum(p.stat().st_size for p in blob_files(root)) == len(parts[2])  # the old went
    for number in (1, 2, 4):
        assert put(client, upload["id"], number, parts[number - 1]).status_code == 200
    assert complete(client, upload["id"], sha(data)).status_code == 200


@pytest.mark.parametrize("ending", ["complete", "abort"])
def test_a_part_racing_the_end_of_its_upload_never_fails_nor_leaves_a_file(service, ending):  # noqa: F811
    client, stores, _, root = service
    data = jsonl_bytes(2 * PART)
    answers: dict[str, set[int]] = {"part": set(), "end": set()}
    for _ in range(TRIALS):
        upload = open_upload(client, data)
        parts = parts_of(data)
        last = len(parts)
        for number in range(1, last):
            put(client, upload["id"], number, parts[number - 1])
        barrier = threading.Barrier(2)

        def send_part(upload_id=upload["id"], barrier=barrier, last=last, parts=parts):
            barrier.wait()
            answers["part"].add(put(client, upload_id, last, parts[-1]).status_code)

        racer = threading.Thread(target=send_part)
        racer.start()
        barrier.wait()
        time.sleep(random.random() * 0.002)
        if ending == "complete":
            answer = complete(client, upload["id"], sha(data))
            racer.join()
            if answer.status_code == 400:  # part 2 had not arrived (or was refused): send it
                answers["part"].add(put(client, upload["id"], last, parts[-1]).status_code)
                answer = complete(client, upload["id"], sha(data))
        else:
            answer = client.delete(f"/v1/uploads/{upload['id']}", headers=AUTH)
        racer.join()
        answers["end"].add(answer.status_code)
        if ending == "complete":
            assert answer.status_code == 200, answer.get_json()
            dataset_id = answer.get_json()["id"]
            segments = stores.datasets.get(dataset_id).files["train"].segments
            on_disk = {p.name for p in blob_files(root) if "/upload/" in str(p)}
            assert on_disk == {s.key.rsplit("/", 1)[1] for s in segments}  # nothing else
            client.delete(f"/v1/datasets/{dataset_id}", headers=AUTH)
        assert blob_files(root) == [], blob_files(root)
        assert stores.quota.usage("acme") == 0
    assert max(answers["part"] | answers["end"]) < 500, answers


def test_dry_runs_reserve_and_open_uploads_are_bounded(make_stores):
    from api import create_app
    from tests.api.test_views import RecordingEnqueuer

    stores = make_stores(max_org_bytes=10 * 1024**2, max_open_uploads=3)
    stores.api_keys.register("acme", "key-acme")
    client = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()
    declared = {"name": "d", "type": "embed-input", "filename": "d.jsonl", "dry_run": True}
    opened = [
        client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 3 * 1024**2})
        for _ in range(4)
    ]
    assert [r.status_code for r in opened] == [200, 200, 200, 429]
    assert "3 uploads open" in opened[3].get_json()["message"]
    assert opened[3].headers["Retry-After"]
    assert stores.quota.usage("acme") == 9 * 1024**2  # dry runs reserve like any other
    upload_id = opened[0].get_json()["upload"]["id"]
    assert client.delete(f"/v1/uploads/{upload_id}", headers=AUTH).status_code == 200
    fourth = client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 2 * 1024**2})
    assert fourth.status_code == 200  # a place was freed
    over = client.delete(f"/v1/uploads/{fourth.get_json()['upload']['id']}", headers=AUTH)
    assert over.status_code == 200
    too_much = client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 5 * 1024**2})
    assert too_much.status_code == 400 and "capacity" in too_much.get_json()["message"]
    assert stores.quota.usage("acme") == 6 * 1024**2  # the refused one reserved nothing


def test_an_expired_upload_takes_nothing_even_before_the_sweep(service):  # noqa: F811
    client, stores, _, _ = service
    data = jsonl_bytes(2 * PART)
    upload = open_upload(client, data)
    parts = parts_of(data)
    assert put(client, upload["id"], 1, parts[0]).status_code == 200
    stores.redis.hset(stores.keys.upload(upload["id"]), "expires_at", str(time.time() - 1))
    for answer in (
        put(client, upload["id"], 2, parts[1]),
        complete(client, upload["id"], sha(data)),
        client.get(f"/v1/uploads/{upload['id']}", headers=AUTH),
    ):
        assert answer.status_code == 410, answer.get_json()
        assert answer.get_json()["message"].startswith("the upload expired at ")


def test_a_dead_holder_of_the_advance_lock_stalls_complete_only_briefly(service, monkeypatch):  # noqa: F811
    client, stores, _, _ = service
    monkeypatch.setattr(part_streaming, "ADVANCE_LOCK_SECONDS", 1)
    data = jsonl_bytes(2 * PART)
    upload = open_upload(client, data)
    for number, part in enumerate(parts_of(data), start=1):
        assert put(client, upload["id"], number, part).status_code == 200
    # a web process died while cutting: its lock stays until it expires
    assert stores.uploads.claim_advance(upload["id"], "dead-process", 1)
    started = time.monotonic()
    response = complete(client, upload["id"], sha(data))
    assert response.status_code == 200, response.get_json()
    assert time.monotonic() - started < 3
    assert not stores.uploads.save_resume(upload["id"], None, "dead-process")  # fenced off


def test_complete_waiting_too_long_keeps_the_upload_open(service, monkeypatch):  # noqa: F811
    client, stores, _, _ = service
    monkeypatch.setattr(resumable, "COMPLETE_WAIT_SECONDS", 0.2)
    data = jsonl_bytes(1000)  # one part
    upload = open_upload(client, data)
    assert put(client, upload["id"], 1, data).status_code == 200
    assert stores.uploads.claim_advance(upload["id"], "busy-process", 30)
    response = complete(client, upload["id"], sha(data))
    assert response.status_code == 409 and response.headers["Retry-After"] == "5"
    listed = client.get(f"/v1/uploads/{upload['id']}", headers=AUTH).get_json()["upload"]
    assert listed["state"] == "open" and [p["number"] for p in listed["parts"]] == [1]
    assert stores.quota.usage("acme") == len(data)  # still reserved
    stores.uploads.release_advance(upload["id"], "busy-process")
    assert complete(client, upload["id"], sha(data)).status_code == 200


def test_the_sweep_removes_folders_nothing_refers_to(service):  # noqa: F811
    client, stores, _, root = service
    data = jsonl_bytes(1000)  # one part
    upload = open_upload(client, data)
    assert put(client, upload["id"], 1, data).status_code == 200
    response = complete(client, upload["id"], sha(data))
    kept = stores.datasets.get(response.get_json()["id"])
    open_one = open_upload(client, data)
    assert put(client, open_one["id"], 1, data).status_code == 200
    planted = root / "datasets" / "orphanedtoken" / "upload" / "train" / "00000"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"left by a web process killed mid-upload")
    young = root / "datasets" / "youngtoken" / "upload" / "train" / "00000"
    young.parent.mkdir(parents=True)
    young.write_bytes(b"an upload under way")
    old = time.time() - stores.settings.abandoned_upload_seconds - 10
    os.utime(planted, (old, old))
    for path in blob_files(root):  # the owned folders are old too: owners keep them
        if "orphanedtoken" not in str(path) and "youngtoken" not in str(path):
            os.utime(path, (old, old))
    assert remove_orphans(stores) == 1
    assert not planted.exists() and young.exists()
    stored = SegmentedFile(stores.blobs, kept.files["train"].segments)
    assert stored.read_range(0, len(data)) == data
    assert client.get(f"/v1/uploads/{open_one['id']}", headers=AUTH).status_code == 200
    assert hashlib.sha256(stored.read_range(0, len(data))).hexdigest() == sha(data)


def test_posts_racing_for_the_last_of_the_quota_leave_no_folder_when_refused(make_stores):
    from concurrent.futures import ThreadPoolExecutor

    from api import create_app
    from tests.api.test_views import RecordingEnqueuer

    mib = 1024 * 1024
    stores = make_stores(max_org_bytes=3 * mib, chunk_bytes=256 * 1024)
    stores.api_keys.register("acme", "key-acme")
    client = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()
    body = jsonl_bytes(mib - 1000)
    root = stores.settings.storage_root

    def post(_: int):
        return client.post(
            "/v1/datasets?name=race&type=embed-input",
            headers=AUTH,
            data={"data": (io.BytesIO(body), "a.jsonl")},
            content_type="multipart/form-data",
        )

    for _ in range(5):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(8)))
        accepted = [a.get_json()["id"] for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code != 200]
        assert len(accepted) == 3 and all(a.status_code == 400 for a in refused)
        assert all("exceeded capacity" in a.get_json()["message"] for a in refused)
        folders = sorted(p.name for p in (root / "datasets").iterdir())
        assert folders == sorted(i.rsplit("-", 1)[1] for i in accepted)  # nothing else
        assert stores.quota.usage("acme") == 3 * len(body)
        for dataset_id in accepted:
            assert client.delete(f"/v1/datasets/{dataset_id}", headers=AUTH).status_code == 200
        assert stores.quota.usage("acme") == 0
