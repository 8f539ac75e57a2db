"""Resumable uploads on real processes: `sieve upload` killed mid-upload and run again sends
only the missing parts; an upload left unfinished expires and leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import redis
import requests

from tests.e2e.conftest import BIN, KEYS, wait_until
from tests.e2e.test_production import Deployment

HEADERS = {"Authorization": f"Bearer {KEYS['acme']}"}
PART = 256 * 1024


def _deployment(redis_url: str, tmp_path: Path, **settings: str) -> Deployment:
    return Deployment.web_and_worker(redis_url, tmp_path, 1024 * 1024, **settings)


def _big_file(path: Path, rows: int) -> Path:
    with path.open("w") as out:
        for i in range(rows):
            out.write(json.dumps({"text": f"row {i} " + "lorem ipsum " * (i % 17)}) + "\n")
    return path


def _upload_on_server(url: str, state_dir: Path) -> dict | None:
    states = list(state_dir.glob("*.json")) if state_dir.exists() else []
    if not states:
        return None
    upload_id = json.loads(states[0].read_text())["upload_id"]
    return requests.get(f"{url}/v1/uploads/{upload_id}", headers=HEADERS).json()["upload"]


def test_the_cli_killed_mid_upload_resumes_with_the_missing_parts(own_redis, tmp_path):
    deployment = _deployment(own_redis, tmp_path)
    data = _big_file(tmp_path / "big.jsonl", 400_000)  # ~40 MB: 150 parts
    env = {
        **os.environ,
        "SIEVE_URL": deployment.urls[0],
        "SIEVE_API_KEY": KEYS["acme"],
        "SIEVE_DATA_DIR": str(tmp_path / "cli-data"),
    }
    command = [
        str(BIN / "sieve"),
        "upload",
        str(data),
        "--type",
        "embed-input",
        "--resumable-above",
        "1MiB",
        "--part-size",
        "256KiB",
        "--wait",
    ]
    state_dir = tmp_path / "cli-data" / "uploads"
    try:
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def some_parts_arrived() -> bool:
            upload = _upload_on_server(deployment.urls[0], state_dir)
            return bool(upload and upload["parts"])

        assert wait_until(some_parts_arrived, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        time.sleep(1)  # parts whose bytes were all sent are still stored by the server
        before = _upload_on_server(deployment.urls[0], state_dir)
        assert before["state"] == "open", "the upload ended before it could be interrupted"
        on_server = len(before["parts"])
        assert 0 < on_server < before["part_count"]

        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert f"resuming upload {before['id']}" in again.stderr
        sent = before["part_count"] - on_server
        assert f"sent {sent} parts, {on_server} already on the server" in again.stderr
        dataset_id, status = again.stdout.split()[:2]
        assert status == "validated"
        dataset = requests.get(
            f"{deployment.urls[0]}/v1/datasets/{dataset_id}", headers=HEADERS
        ).json()["dataset"]
        assert sum(part["num_rows"] for part in dataset["dataset_parts"]) == 400_000
        assert list(state_dir.glob("*.json")) == []  # nothing left to resume
    finally:
        deployment.stop()


def test_an_unfinished_upload_expires_and_leaves_nothing(own_redis, tmp_path):
    deployment = _deployment(
        own_redis,
        tmp_path,
        SIEVE_UPLOAD_EXPIRY_SECONDS="3",
        SIEVE_RETENTION_SWEEP_SECONDS="1",
        SIEVE_STALL_SECONDS="1",
    )
    deployment.start("beat.1", "beat")
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    url = deployment.urls[0]
    data = b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(200_000))
    try:
        declared = {
            "name": "left",
            "type": "embed-input",
            "filename": "a.jsonl",
            "size": len(data),
            "part_size": PART,
        }
        upload = requests.post(f"{url}/v1/uploads", json=declared, headers=HEADERS).json()
        upload_id = upload["upload"]["id"]
        for number in (1, 2, 3, 4, 5):
            part = data[(number - 1) * PART : number * PART]
            digest = {"X-Content-SHA256": hashlib.sha256(part).hexdigest()}
            requests.put(
                f"{url}/v1/uploads/{upload_id}/parts/{number}",
                data=part,
                headers={**HEADERS, **digest},
            ).raise_for_status()
        usage = requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()
        assert usage == {"organization_usage": len(data)}  # reserved while it may go on
        assert any(client.scan_iter("sieve:ds:*"))  # its streamed chunks started a record
        time.sleep(1.5)
        assert requests.get(f"{url}/v1/uploads/{upload_id}", headers=HEADERS).status_code == 200

        def gone() -> bool:
            answer = requests.get(f"{url}/v1/uploads/{upload_id}", headers=HEADERS)
            return answer.status_code == 404

        assert wait_until(gone, timeout=20)
        time.sleep(1)  # chunks still queued find it gone and leave nothing either
        assert list(client.scan_iter("sieve:ds:*")) == []
        assert list(client.scan_iter("sieve:upload*")) == []
        assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
        usage = requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()
        assert usage == {"organization_usage": 0}
    finally:
        deployment.stop()
