"""Validation while the bytes arrive, on real processes: a slow upload has chunks validated
before its last byte; the verdict is the same sent fast, slow, or in one piece after the upload
(options in form fields); a client cut off, or a web process killed, after chunks went out
leaves no record, no blob, no chunk result, and the usage as it was."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import time
from pathlib import Path

import redis
import requests

from tests.e2e.conftest import KEYS, files_under, put_part
from tests.e2e.test_production import Deployment

HEADERS = {"Authorization": f"Bearer {KEYS['acme']}"}
BOUNDARY = "sieve-streaming-test"
ROWS = 100_000  # ~2.3 MB of JSONL: about 35 chunks of 64 KiB
PART_BYTES = 256 * 1024


def _rows(count: int = ROWS) -> bytes:
    lines = [json.dumps({"text": f"row {i}"}) for i in range(count)]
    lines[count // 3] = json.dumps({"text": ""})  # one bad row, far from the end
    lines[count - 7] = lines[11]  # and a duplicate near it
    return ("\n".join(lines) + "\n").encode()


def _body(data: bytes, fields: dict[str, str] | None = None) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (fields or {}).items()
    ]
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="a.jsonl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return b"".join(parts) + head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


class SlowUpload:
    """A POST sent through a raw socket, a piece at a time, so it can be watched or cut off."""

    def __init__(self, url: str, query: str, body: bytes) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.body, self.sent = body, 0
        self.sock.sendall(
            (
                f"POST /v1/datasets?{query} HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: {HEADERS['Authorization']}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
        )

    def send(self, upto: int, rate_bytes_per_s: float) -> None:
        while self.sent < upto:
            piece = self.body[self.sent : min(upto, self.sent + 16 * 1024)]
            self.sock.sendall(piece)
            self.sent += len(piece)
            time.sleep(len(piece) / rate_bytes_per_s)

    def answer(self) -> dict:
        self.send(len(self.body), 1e12)
        self.sock.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := self.sock.recv(65536):
            raw += chunk
        self.sock.close()
        return json.loads(raw.split(b"\r\n\r\n", 1)[1])

    def cut_off(self) -> None:
        self.sock.close()


def _receiving(client: redis.Redis) -> dict[str, str] | None:
    """The record of the upload now streaming in (unlisted, so read from Redis)."""
    for key in client.scan_iter("sieve:ds:*"):
        if key.count(":") == 2 and client.hget(key, "receiving") == "true":
            return client.hgetall(key)
    return None


def _wait_for(condition, seconds: float = 30):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return None


def _final(url: str, dataset_id: str) -> dict:
    def done() -> dict | None:
        dataset = requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS).json()
        return (
            dataset["dataset"]
            if dataset["dataset"]["validation_status"]
            in (
                "validated",
                "failed",
            )
            else None
        )

    return _wait_for(done, 60)


def _verdict(dataset: dict) -> tuple:
    metrics = dataset["metrics"]["finetune_dataset_metrics"]
    rows = sum(part["num_rows"] for part in dataset.get("dataset_parts", []))
    return (
        dataset["validation_status"],
        dataset.get("validation_error"),
        tuple(dataset["validation_warnings"]),
        metrics["train_examples"],
        rows,
    )


def _nothing_left(client: redis.Redis, blobs: Path, dataset_id: str) -> bool:
    token = dataset_id.rsplit("-", 1)[1]
    keys = [key for key in client.scan_iter("sieve:ds:*") if dataset_id in key]
    files = [path for path in files_under(blobs) if token in str(path)]
    return not keys and not files


def _deployment(redis_url: str, tmp_path: Path, **settings: str) -> Deployment:
    return Deployment.web_and_worker(redis_url, tmp_path, 64 * 1024, **settings)


def test_a_slow_upload_is_validated_before_its_last_byte_and_judged_alike(own_redis, tmp_path):
    deployment = _deployment(own_redis, tmp_path)
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    try:
        url, data = deployment.urls[0], _rows()
        upload = SlowUpload(
            url, "name=slow&type=embed-input&skip_malformed_input=true", _body(data)
        )
        upload.send(len(upload.body) * 3 // 4, rate_bytes_per_s=1024 * 1024)
        record = _wait_for(lambda: _receiving_with_chunks_done(client))
        assert record, "no chunk was validated while the upload was still coming"
        assert upload.sent < len(upload.body)
        listed = requests.get(f"{url}/v1/datasets", headers=HEADERS).json()["datasets"]
        assert listed == []  # not listed before it is whole
        slow = _final(url, upload.answer()["id"])
        assert slow["id"] == record["id"]

        fast = requests.post(
            f"{url}/v1/datasets",
            params={"name": "fast", "type": "embed-input", "skip_malformed_input": "true"},
            files={"data": ("a.jsonl", data)},
            headers=HEADERS,
        ).json()["id"]
        after = requests.post(  # name and type in form fields: validated after the last byte
            f"{url}/v1/datasets",
            files={
                "name": (None, "after"),
                "type": (None, "embed-input"),
                "skip_malformed_input": (None, "true"),
                "data": ("a.jsonl", data),
            },
            headers=HEADERS,
        ).json()["id"]
        in_parts = _send_in_parts(url, data, shuffle_seed=7)
        verdicts = {_verdict(_final(url, dataset_id)) for dataset_id in (fast, after, in_parts)}
        assert verdicts == {_verdict(slow)}
        status, _, warnings, examples, rows = _verdict(slow)
        assert (status, examples, rows) == ("validated", ROWS - 2, ROWS - 2)
        assert warnings[0].startswith(f"row {ROWS // 3 + 1} of the train file: field 'text'")
    finally:
        deployment.stop()


def test_a_client_cut_off_or_refused_after_chunks_went_out_leaves_nothing(own_redis, tmp_path):
    limit = len(_body(_rows())) - 100_000
    deployment = _deployment(own_redis, tmp_path, SIEVE_MAX_DATASET_BYTES=str(limit))
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    blobs = tmp_path / "blobs"
    try:
        url = deployment.urls[0]
        upload, record = _half_sent(url, client, "cut")
        upload.cut_off()
        too_big, too_big_record = _half_sent(url, client, "too-big")
        assert too_big.answer()["message"].startswith("the dataset is larger than the")
        for dataset_id in (record["id"], too_big_record["id"]):
            assert _wait_for(lambda d=dataset_id: _nothing_left(client, blobs, d), 30)
        time.sleep(1)  # chunks still queued run on, find it gone, and leave nothing either
        assert _nothing_left(client, blobs, record["id"])
        assert _nothing_left(client, blobs, too_big_record["id"])
        usage = requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()
        assert usage == {"organization_usage": 0}
    finally:
        deployment.stop()


def _send_in_parts(url: str, data: bytes, shuffle_seed: int) -> str:
    """The file as a resumable upload of 256 KiB parts sent in shuffled order."""
    declared = {
        "name": "in-parts",
        "type": "embed-input",
        "skip_malformed_input": True,
        "filename": "a.jsonl",
        "size": len(data),
        "part_size": PART_BYTES,
    }
    upload = requests.post(f"{url}/v1/uploads", json=declared, headers=HEADERS).json()["upload"]
    numbers = list(range(1, upload["part_count"] + 1))
    random.Random(shuffle_seed).shuffle(numbers)
    for number in numbers:
        part = data[(number - 1) * PART_BYTES : number * PART_BYTES]
        sent = put_part(url, HEADERS, upload["id"], number, part)
        assert sent.status_code == 200, sent.text
    whole = {"sha256": hashlib.sha256(data).hexdigest()}
    done = requests.post(f"{url}/v1/uploads/{upload['id']}/complete", json=whole, headers=HEADERS)
    assert done.status_code == 200, done.text
    return done.json()["id"]


def test_a_web_process_killed_mid_upload_is_swept_with_its_chunks(own_redis, tmp_path):
    deployment = _deployment(
        own_redis,
        tmp_path,
        SIEVE_ABANDONED_UPLOAD_SECONDS="3",
        SIEVE_STALL_SECONDS="1",
        SIEVE_RETENTION_SWEEP_SECONDS="1",
    )
    deployment.start("beat.1", "beat")
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    blobs = tmp_path / "blobs"
    try:
        upload, record = _half_sent(deployment.urls[0], client, "killed")
        web = deployment.processes["web.1"]
        for child in _children(web.pid):
            os.kill(child, signal.SIGKILL)
        os.kill(web.pid, signal.SIGKILL)
        upload.cut_off()
        assert _wait_for(lambda: _nothing_left(client, blobs, record["id"]), 45)
        assert client.hlen("sieve:org:acme:reservations") == 0
        usage = int(client.get("sieve:org:acme:usage") or 0)
        assert usage == 0
    finally:
        deployment.stop()


def _children(pid: int) -> list[int]:
    import psutil

    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def _receiving_with_chunks_done(client: redis.Redis) -> dict[str, str] | None:
    record = _receiving(client)
    return record if record and int(record.get("chunks_done", 0)) > 0 else None


def _half_sent(url: str, client: redis.Redis, name: str) -> tuple[SlowUpload, dict[str, str]]:
    """An upload half sent, once some of its chunks have been validated."""
    upload = SlowUpload(url, f"name={name}&type=embed-input", _body(_rows()))
    upload.send(len(upload.body) // 2, rate_bytes_per_s=4 * 1024 * 1024)
    record = _wait_for(lambda: _receiving_with_chunks_done(client))
    assert record, "no chunk was validated while the upload was coming"
    return upload, record
