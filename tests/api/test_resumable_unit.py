"""Resumable uploads in memory (fakeredis, a temp directory, a recording enqueuer): parts,
checksums, streamed chunks, complete, abort and expiry."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from api import create_app
from api.schemas import MIN_PART_BYTES
from store.segments import SegmentedFile
from tests.api.test_views import RecordingEnqueuer
from workers.retention import expire_uploads

AUTH = {"Authorization": "Bearer key-acme"}
OTHER = {"Authorization": "Bearer key-globex"}
PART = MIN_PART_BYTES


@pytest.fixture
def service(make_stores, tmp_path: Path):
    stores = make_stores(chunk_bytes=64 * 1024, max_org_bytes=64 * 1024 * 1024)
    stores.api_keys.register("acme", "key-acme")
    stores.api_keys.register("globex", "key-globex")
    enqueuer = RecordingEnqueuer()
    client = create_app(stores.settings, stores, enqueuer).test_client()
    return client, stores, enqueuer, tmp_path / "blobs"


def jsonl_bytes(size: int) -> bytes:
    rows, total, i = [], 0, 0
    while total < size:
        line = json.dumps({"text": f"row {i} " + "x" * (i % 50)}) + "\n"
        rows.append(line)
        total += len(line)
        i += 1
    return "".join(rows).encode()


def parts_of(data: bytes, part_size: int = PART) -> list[bytes]:
    return [data[i : i + part_size] for i in range(0, len(data), part_size)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_upload(client, data: bytes, headers=AUTH, **extra) -> dict:
    body = {"name": "big", "type": "embed-input", "filename": "big.jsonl", "size": len(data)}
    body["part_size"] = PART
    response = client.post("/v1/uploads", headers=headers, json={**body, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["upload"]


def put(client, upload_id: str, number: int, part: bytes, digest: str | None = None):
    headers = {**AUTH, "X-Content-SHA256": digest or sha(part)}
    return client.put(f"/v1/uploads/{upload_id}/parts/{number}", headers=headers, data=part)


def complete(client, upload_id: str, digest: str):
    return client.post(f"/v1/uploads/{upload_id}/complete", headers=AUTH, json={"sha256": digest})


def blob_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_shuffled_parts_are_cut_once_the_leading_ones_are_in(service):
    client, stores, enqueuer, root = service
    data = jsonl_bytes(3 * PART + 1000)
    upload = open_upload(client, data)
    assert upload["part_count"] == 4 and upload["state"] == "open"
    assert stores.quota.usage("acme") == len(data)  # reserved at once
    parts = parts_of(data)
    for number in (3, 4, 2):
        assert put(client, upload["id"], number, parts[number - 1]).status_code == 200
    assert enqueuer.chunks == []  # nothing before part 1 is known
    assert put(client, upload["id"], 1, parts[0]).status_code == 200
    streamed = [chunk for _, chunk in enqueuer.chunks]
    assert streamed and streamed[-1].end > 2 * PART  # cut as far as the parts allowed
    listed = client.get(f"/v1/uploads/{upload['id']}", headers=AUTH).get_json()["upload"]
    assert [p["number"] for p in listed["parts"]] == [1, 2, 3, 4]

    response = complete(client, upload["id"], sha(data))
    assert response.status_code == 200, response.get_json()
    dataset_id = response.get_json()["id"]
    chunks = [chunk for _, chunk in enqueuer.chunks]
    assert chunks[0].start == 0 and chunks[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert enqueuer.started == [dataset_id]
    record = stores.datasets.get(dataset_id)
    assert not record.receiving and record.usage_bytes == len(data)
    stored = SegmentedFile(stores.blobs, record.files["train"].segments)
    assert stored.read_range(0, len(data)) == data  # the parts are the file: never copied
    assert [s.size for s in stored.segments] == [len(p) for p in parts_of(data)]
    assert sum(p.stat().st_size for p in blob_files(root)) == len(data)  # written once
    assert stores.quota.usage("acme") == len(data)
    done = client.get(f"/v1/uploads/{upload['id']}", headers=AUTH).get_json()["upload"]
    assert done["state"] == "completed" and done["dataset_id"] == dataset_id
    assert complete(client, upload["id"], sha(data)).get_json()["id"] == dataset_id  # retried
    assert client.get(f"/v1/datasets/{dataset_id}", headers=AUTH).status_code == 200


def test_a_csv_upload_keeps_its_header_apart(service):
    client, _, enqueuer, _ = service
    rows = [f'{i},"text, with ""quotes"" {i}\nand a newline"' for i in range(200_000)]
    data = ("id,text\n" + "\n".join(rows) + "\n").encode()
    upload = open_upload(client, data, filename="big.csv")
    for number, part in enumerate(parts_of(data), start=1):
        assert put(client, upload["id"], number, part).status_code == 200
    assert complete(client, upload["id"], sha(data)).status_code == 200
    chunks = [chunk for _, chunk in enqueuer.chunks]
    assert chunks[0].start == len(b"id,text\n") and chunks[-1].end == len(data)
    for chunk in chunks[1:]:
        assert data[chunk.start - 1 : chunk.start] == b"\n"
        assert data[: chunk.start].count(b'"') % 2 == 0  # never inside a quoted field


def test_a_part_with_another_checksum_is_refused_by_number(service):
    client, stores, _, root = service
    data = jsonl_bytes(PART + 10)
    upload = open_upload(client, data)
    first = parts_of(data)[0]
    response = put(client, upload["id"], 1, first, sha(first[:-1] + b"!"))
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("part 1: its bytes have SHA-256")
    assert stores.uploads.get(upload["id"]).parts == {}
    assert not [p for p in blob_files(root) if "upload-parts" in str(p)]
    assert put(client, upload["id"], 9, b"x").get_json()["message"] == (
        "part 9: this upload has parts 1 to 2"
    )
    short = put(client, upload["id"], 1, first[:100])
    assert (
        short.status_code == 400 and f"part 1 must be {PART} bytes" in short.get_json()["message"]
    )
    missing = client.put(f"/v1/uploads/{upload['id']}/parts/1", headers=AUTH, data=first)
    assert "X-Content-SHA256" in missing.get_json()["message"]


def test_complete_lists_the_missing_parts_and_stays_open(service):
    client, _, _, _ = service
    data = jsonl_bytes(4 * PART + 10)
    upload = open_upload(client, data)
    parts = parts_of(data)
    for number in (1, 3, 5):
        put(client, upload["id"], number, parts[number - 1])
    response = complete(client, upload["id"], sha(data))
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("2 of 5 parts are missing: 2, 4;")
    for number in (2, 4):
        put(client, upload["id"], number, parts[number - 1])
    wrong = complete(client, upload["id"], sha(b"another file"))
    assert wrong.status_code == 400 and "complete again" in wrong.get_json()["message"]
    assert complete(client, upload["id"], sha(data)).status_code == 200


def test_abort_and_expiry_release_everything(service):
    client, stores, enqueuer, root = service
    data = jsonl_bytes(3 * PART)
    for ending in ("abort", "expiry"):
        upload = open_upload(client, data)
        for number, part in enumerate(parts_of(data)[:2], start=1):
            put(client, upload["id"], number, part)
        dataset_id = enqueuer.chunks[-1][0]
        assert stores.datasets.get(dataset_id).receiving  # streamed validation began
        if ending == "abort":
            assert client.delete(f"/v1/uploads/{upload['id']}", headers=AUTH).status_code == 200
        else:
            stores.redis.zadd(stores.keys.uploads_by_expiry(), {upload["id"]: 0})
            assert expire_uploads(stores) == 1
        assert stores.quota.usage("acme") == 0
        assert stores.datasets.get(dataset_id) is None
        assert blob_files(root) == []
        assert client.get(f"/v1/uploads/{upload['id']}", headers=AUTH).status_code == 404
        assert put(client, upload["id"], 3, parts_of(data)[2]).status_code == 404
    assert stores.redis.keys("*upload*") == []


def test_limits_are_checked_when_the_upload_is_opened(service):
    client, stores, _, _ = service
    declared = {"name": "x", "type": "embed-input", "filename": "x.jsonl"}
    too_big = client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 2 * 1024**3})
    assert too_big.status_code == 413
    over_quota = client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 65 * 1024**2})
    assert over_quota.status_code == 400 and "capacity" in over_quota.get_json()["message"]
    bad = client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 10, "part_size": 1})
    assert bad.status_code == 400 and "part_size" in bad.get_json()["message"]
    no_type = client.post("/v1/uploads", headers=AUTH, json={"name": "x", "size": 1})
    assert no_type.status_code == 400
    dry = client.post("/v1/uploads", headers=AUTH, json={**declared, "size": 10, "dry_run": True})
    assert dry.status_code == 200 and stores.quota.usage("acme") == 10  # stored: counted
    dry_id = dry.get_json()["upload"]["id"]
    assert client.delete(f"/v1/uploads/{dry_id}", headers=AUTH).status_code == 200
    assert stores.quota.usage("acme") == 0
    at_cap = {**declared, "size": 64 * 1024**2 + 1, "dry_run": True}
    assert client.post("/v1/uploads", headers=AUTH, json=at_cap).status_code == 400


def test_another_organization_sees_no_upload(service):
    client, _, _, _ = service
    data = jsonl_bytes(100)
    upload = open_upload(client, data)
    path = f"/v1/uploads/{upload['id']}"
    assert client.get(path, headers=OTHER).status_code == 404
    headers = {**OTHER, "X-Content-SHA256": sha(data)}
    assert client.put(f"{path}/parts/1", headers=headers, data=data).status_code == 404
    assert (
        client.post(f"{path}/complete", headers=OTHER, json={"sha256": sha(data)}).status_code
        == 404
    )
    assert client.delete(path, headers=OTHER).status_code == 404
    assert client.get(path, headers=AUTH).status_code == 200


def test_a_file_its_type_refuses_ends_the_upload(service):
    client, stores, _, root = service
    data = b"\x1f\x8b" + bytes(random.Random(1).randrange(256) for _ in range(5000))
    upload = open_upload(client, data, filename="x.jsonl.gz")
    put(client, upload["id"], 1, data)
    response = complete(client, upload["id"], sha(data))
    assert response.status_code == 400 and "compressed" in response.get_json()["message"]
    assert stores.quota.usage("acme") == 0 and blob_files(root) == []
