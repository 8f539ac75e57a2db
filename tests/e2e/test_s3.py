"""The whole stack on S3-compatible storage (moto's S3 server over HTTP): web and workers share
nothing but Redis and the bucket, as on separate machines."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import time

import boto3
import cohere
import fastavro
import pytest
import requests

from tests.e2e.conftest import KEYS, put_part, start_stack, wait_until

BUCKET = "sieve-e2e"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_stack(redis_server, s3_server, tmp_path_factory):
    client = boto3.client(
        "s3",
        endpoint_url=s3_server["SIEVE_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=s3_server["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_server["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    started = start_stack(
        redis_server,
        tmp_path_factory.mktemp("s3-stack"),
        SIEVE_STORAGE_URL=f"s3://{BUCKET}/tenant-data",
        SIEVE_CHUNK_BYTES=str(2 * MIB),
        SIEVE_MAX_DATASET_BYTES=str(40 * MIB),
        **s3_server,
    )
    yield started, client
    started.stop()


def _objects(client) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="tenant-data/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _pending(client) -> list[dict]:
    return client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def test_sdk_round_trip_on_s3(s3_stack, tmp_path):
    stack, client = s3_stack
    assert requests.get(f"{stack.url}/readyz").status_code == 200
    lines = [json.dumps({"text": f"row {i} " + "x" * 200}) for i in range(60_000)]
    body = ("\n".join(lines) + "\n").encode()  # ~13 MB: multipart upload, 7 chunks
    path = tmp_path / "big.jsonl"
    path.write_bytes(body)
    sdk = cohere.Client(api_key=KEYS["acme"], base_url=stack.url)
    with open(path, "rb") as data:
        created = sdk.datasets.create(
            name="on-s3", type="embed-input", data=data, keep_original_file=True
        )
    dataset = sdk.wait(sdk.datasets.get(created.id), timeout=120).dataset
    assert dataset.validation_status == "validated", dataset.validation_error
    assert len(dataset.dataset_parts) == 7
    rows = [
        record["text"]
        for part in dataset.dataset_parts
        for record in fastavro.reader(io.BytesIO(requests.get(part.url).content))
    ]
    assert rows == [json.loads(line)["text"] for line in lines]
    original = dataset.dataset_parts[0].original_url
    assert requests.get(original).content == body
    token = created.id.rsplit("-", 1)[1]
    assert wait_until(  # row hashes are dropped just after the verdict
        lambda: not [key for key in _objects(client) if token in key and "/hashes/" in key]
    )
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"tenant-data/datasets/{token}/upload/")
    segments = {item["Key"].rsplit("/", 1)[1]: item["Size"] for item in listed["Contents"]}
    assert sorted(segments) == [f"{i:05d}" for i in range(len(segments))]
    assert sum(segments.values()) == len(body)  # every byte stored once
    assert _pending(client) == []
    assert stack.usage() == len(body)

    sdk.datasets.delete(created.id)
    assert [key for key in _objects(client) if token in key] == []
    assert stack.usage() == 0


def test_refused_uploads_leave_nothing_in_the_bucket(s3_stack):
    stack, client = s3_stack
    before = _objects(client)
    too_big = b'{"text": "' + b"x" * (41 * MIB) + b'"}\n'  # over the 40 MiB dataset limit
    response = stack.create({"data": ("a.jsonl", too_big)}, "too-big")
    assert response.status_code == 413, response.text
    bad_eval = stack.create(  # the train file is stored before the eval file is refused
        {
            "data": ("a.jsonl", b'{"text": "fine"}\n' * 1000),
            "eval_data": ("b.csv", b"\x1f\x8b\x08\x00" + b"\x00" * 100),
        },
        "bad-eval",
    )
    assert bad_eval.status_code == 400, bad_eval.text
    # a worker may be validating the train file's first chunk (sent while it streamed in): it
    # finds the dataset gone when it reports, and removes what it wrote
    assert wait_until(lambda: _objects(client) == before), _objects(client)
    assert _pending(client) == []
    assert stack.usage() == 0


def test_a_failed_dataset_keeps_no_parts_in_the_bucket(s3_stack):
    stack, client = s3_stack
    body = b'{"text": "ok"}\n' * 10 + b'{"text": 5}\n'
    response = stack.create({"data": ("a.jsonl", body)}, "fails")
    dataset = stack.wait_final(response.json()["id"])
    assert dataset["validation_status"] == "failed"
    token = dataset["id"].rsplit("-", 1)[1]
    kept = [  # the upload and the full report only: no parts, no hashes
        f"tenant-data/datasets/{token}/report/train-00000.<delivery>.ndjson",
        f"tenant-data/datasets/{token}/report/train-file.ndjson",  # its 9 duplicates
        f"tenant-data/datasets/{token}/upload/train/00000",
    ]
    mine = lambda: [  # noqa: E731 - a chunk's blobs carry its delivery's tag
        re.sub(r"\.[0-9a-f]{8}\.", ".<delivery>.", key) for key in _objects(client) if token in key
    ]
    assert wait_until(lambda: mine() == kept), mine()
    requests.delete(f"{stack.url}/v1/datasets/{dataset['id']}", headers=stack.headers())
    assert [key for key in _objects(client) if token in key] == []


def _hold_port(port: int) -> socket.socket:
    """Bound and not listening: a connection to the port is refused, as when nothing holds
    it, and no server another test starts meanwhile can take it (free_port() hands out ports
    that are free now; one just let go is one of them)."""
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", port))
    return held


def test_the_bucket_going_away_mid_upload_is_a_503_and_the_service_recovers(redis_server, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from cli.embedded_redis import free_port, wait_for_port
    from tests.e2e.conftest import open_raw_upload

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]

    def start_s3() -> subprocess.Popen:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, timeout=30)
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="k",
            aws_secret_access_key="s",
        ).create_bucket(Bucket="flaky")
        return process

    s3 = start_s3()
    stack = start_stack(
        redis_server,
        tmp_path,
        SIEVE_STORAGE_URL="s3://flaky/data",
        SIEVE_S3_ENDPOINT_URL=endpoint,
        SIEVE_S3_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="k",
        AWS_SECRET_ACCESS_KEY="s",
    )
    try:
        tail = b"\r\n--xyzzy--\r\n"
        sock = open_raw_upload(stack.url, stack.headers()["Authorization"], 30 * MIB)
        sock.sendall(b"x" * (12 * MIB + 1))
        raw = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="k",
            aws_secret_access_key="s",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and stack.usage() < 8 * MIB:
            time.sleep(0.05)
        assert stack.usage() >= 8 * MIB  # received and reserved (in 4 MiB steps)...
        assert raw.list_multipart_uploads(Bucket="flaky")["Uploads"]  # ...and a part in the bucket
        s3.terminate()  # the bucket goes away mid-upload...
        s3.wait(timeout=10)
        held = _hold_port(port)  # ...and its port stays ours: refused, and no other test's
        sock.sendall(b"x" * (18 * MIB - len(tail)) + tail)
        sock.settimeout(120)
        answer = b""
        while not answer.endswith(b"}\n"):
            received = sock.recv(65536)
            if not received:
                break
            answer += received
        sock.close()
        assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
        assert b'{"message":"storage is unavailable; try again later"}' in answer
        assert stack.usage() == 0 and stack.list() == []
        down = requests.get(f"{stack.url}/readyz")
        assert down.status_code == 503 and "storage: the bucket '" in down.json()["message"]

        held.close()
        s3 = start_s3()  # it comes back (empty: moto keeps nothing): no restart of Sieve needed
        assert requests.get(f"{stack.url}/readyz").status_code == 200
        response = stack.create({"data": ("a.jsonl", b'{"text": "back"}\n' * 10)}, "back")
        assert stack.wait_final(response.json()["id"])["validation_status"] == "validated"
    finally:
        stack.stop()
        s3.terminate()
        s3.wait(timeout=10)


def test_a_resumable_upload_on_s3_is_its_parts(s3_stack):
    """The parts are the file's segments: chunks span objects (ranged GETs), nothing is
    assembled, and `original_url` streams them back in order, Range included."""
    stack, client = s3_stack
    part_size = 256 * 1024
    body = b"".join(
        json.dumps({"text": f"row {i} " + "x" * (i % 40)}).encode() + b"\n" for i in range(60_000)
    )
    headers = stack.headers()
    declared = {"name": "parts", "type": "embed-input", "filename": "a.jsonl"}
    declared |= {"size": len(body), "part_size": part_size, "keep_original_file": True}
    upload = requests.post(f"{stack.url}/v1/uploads", json=declared, headers=headers).json()[
        "upload"
    ]
    for number in range(upload["part_count"], 0, -1):  # last part first
        part = body[(number - 1) * part_size : number * part_size]
        answer = put_part(stack.url, headers, upload["id"], number, part)
        assert answer.status_code == 200, answer.text
    done = requests.post(
        f"{stack.url}/v1/uploads/{upload['id']}/complete",
        json={"sha256": hashlib.sha256(body).hexdigest()},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    dataset = stack.wait_final(done.json()["id"])
    assert dataset["validation_status"] == "validated"
    assert sum(part["num_rows"] for part in dataset["dataset_parts"]) == 60_000
    token = dataset["id"].rsplit("-", 1)[1]
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"tenant-data/datasets/{token}/upload/")
    stored = [item["Size"] for item in listed["Contents"]]
    assert len(stored) == upload["part_count"] and sum(stored) == len(body)  # written once
    original = dataset["dataset_parts"][0]["original_url"]
    assert requests.get(original).content == body
    middle = requests.get(original, headers={"Range": f"bytes={part_size - 10}-{part_size + 9}"})
    assert middle.status_code == 206 and middle.content == body[part_size - 10 : part_size + 10]
    requests.delete(f"{stack.url}/v1/datasets/{dataset['id']}", headers=headers)
    assert wait_until(lambda: not [k for k in _objects(client) if token in k])
