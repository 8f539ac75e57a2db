"""Fault drills on real processes (gunicorn, Celery workers, beat, redis-server): processes
killed mid-chunk, Redis restarted, deletes and retention racing validation, a poison chunk, a
full disk. Each ends with the dataset in its right final state, usage exact, nothing orphaned."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import redis
import requests

from tests.e2e.conftest import files_under, fresh_database, wait_until
from tests.e2e.test_production import HEADERS, Deployment, _upload, _wait


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs mounted for the test (skipped where mounting is not allowed)."""
    disk = tmp_path / "small-disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


def test_kill_9_mid_chunk_redelivers_and_finishes(redis_server, tmp_path):
    deployment = Deployment(
        fresh_database(redis_server), tmp_path, SIEVE_CHUNK_BYTES=str(4 * 1024 * 1024)
    )
    try:
        from cli.embedded_redis import free_port

        deployment.start_web("web.1", free_port())
        victim = deployment.start("worker.1", "worker")  # alone: the first chunk is surely its
        dataset_id = _upload(deployment.urls[0], 600_000, "drill")  # ~20 chunks of 4 MB
        client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not client.hlen(f"sieve:ds:{dataset_id}:attempts"):
            time.sleep(0.01)
        children = psutil.Process(victim.pid).children()
        assert children, "the worker has a pool process"
        for child in children:
            child.send_signal(signal.SIGKILL)  # dies mid-task: no ack, no report
        deployment.start("worker.2", "worker")
        dataset = _wait(deployment.urls[0], dataset_id, timeout=120)
        assert dataset["validation_status"] == "validated", dataset.get("validation_error")
        assert sum(p["num_rows"] for p in dataset["dataset_parts"]) == 600_000
        assert dataset["validation_warnings"] == []
        attempts = {
            int(k): int(v) for k, v in client.hgetall(f"sieve:ds:{dataset_id}:attempts").items()
        }
        reports = [json.loads(r) for r in client.hvals(f"sieve:ds:{dataset_id}:reports")]
        assert len(reports) == len(attempts)
        assert max(attempts.values()) >= 2, attempts  # the killed chunk ran again
        assert sum(r["rows_seen"] for r in reports) == 600_000
    finally:
        deployment.stop()


def test_delete_while_validating_leaves_nothing_and_releases_once(tiny_chunk_stack):
    import requests

    stack = tiny_chunk_stack
    usage = stack.usage()
    body = b"".join(b'{"text": "row %d"}\n' % i for i in range(20_000))  # hundreds of tiny chunks
    created = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "doomed", "type": "embed-input"},
        files={"data": ("a.jsonl", body)},
        headers=stack.headers(),
    ).json()["id"]
    assert stack.usage() == usage + len(body)
    assert (
        requests.delete(f"{stack.url}/v1/datasets/{created}", headers=stack.headers()).json() == {}
    )
    time.sleep(3)  # chunks already queued run on and must not bring anything back
    token = created.rsplit("-", 1)[1]
    assert (
        requests.get(f"{stack.url}/v1/datasets/{created}", headers=stack.headers()).status_code
        == 404
    )
    assert [p for p in stack.stored_files() if token in str(p)] == []
    bookkeeping = redis.Redis.from_url(stack.env["REDIS_URL"]).keys(f"sieve:ds:{created}*")
    assert bookkeeping == []  # late chunks recreated no key
    assert stack.usage() == usage
    assert (
        requests.delete(f"{stack.url}/v1/datasets/{created}", headers=stack.headers()).status_code
        == 404
    )
    assert stack.usage() == usage


def test_sdk_retry_with_an_idempotency_key_makes_one_dataset(stack):
    import io

    import cohere

    from tests.e2e.conftest import KEYS

    client = cohere.Client(api_key=KEYS["globex"], base_url=stack.url)
    options = {"additional_headers": {"Idempotency-Key": "upload-42"}}
    ids = {
        client.datasets.create(
            name="retried",
            type="embed-input",
            data=io.BytesIO(b'{"text": "a"}\n'),
            request_options=options,
        ).id
        for _ in range(3)
    }
    assert len(ids) == 1
    listed = [d.id for d in client.datasets.list().datasets if d.name == "retried"]
    assert listed == list(ids)


def test_a_revoked_key_stops_working_at_once(stack):
    import os

    import requests

    from tests.e2e.conftest import sieve_cli

    env = {**stack.env, "PATH": os.environ["PATH"]}
    key = sieve_cli(env, "keys", "create", "--org", "temp").strip()
    headers = {"Authorization": f"Bearer {key}"}
    assert requests.get(f"{stack.url}/v1/datasets/usage", headers=headers).status_code == 200
    sieve_cli(env, "keys", "revoke", key)
    assert requests.get(f"{stack.url}/v1/datasets/usage", headers=headers).status_code == 401


def _status(url: str) -> tuple[dict, float]:
    """GET /v1/status, and the seconds it took."""
    started = time.monotonic()
    response = requests.get(f"{url}/v1/status", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json(), time.monotonic() - started


def _answered_at_once(url: str, tries: int = 5) -> dict:
    """The status, from a call that ended well before the 1 s Celery waits for workers that
    do not answer (one of a few tries: a loaded machine may slow any single call)."""
    for _ in range(tries):
        status, took = _status(url)
        if took < 0.5:
            return status
    raise AssertionError(f"each of {tries} status calls took 0.5 s or more (the last {took:.2f} s)")


def test_a_whole_worker_killed_alone_is_redelivered_after_the_visibility_timeout(
    redis_server, tmp_path
):
    from cli.embedded_redis import free_port

    visibility, sweep = 8, 1
    deployment = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_CHUNK_BYTES=str(4 * 1024 * 1024),
        SIEVE_VISIBILITY_TIMEOUT=str(visibility),
        SIEVE_UNACKED_RESTORE_SECONDS=str(sweep),
    )
    try:
        deployment.start_web("web.1", free_port())
        worker = deployment.start("worker.1", "worker")
        client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
        assert wait_until(lambda: client.scard("sieve:workers:known") == 1)  # ready, on the roll
        ready = _answered_at_once(deployment.urls[0])  # the one worker answered: no 1 s wait
        assert ready["workers_alive"] == 1, ready
        dataset_id = _upload(deployment.urls[0], 300_000, "orphaned")
        deadline = time.monotonic() + 30
        while not client.hlen(f"sieve:ds:{dataset_id}:attempts") and time.monotonic() < deadline:
            time.sleep(0.01)
        family = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]
        for process in family:  # the whole worker, main process and pool, with no goodbye
            process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        assert client.hlen("unacked") >= 1  # its chunk is held, unacknowledged
        dead, _ = _status(deployment.urls[0])  # waits out the timeout, and forgets the worker
        assert (dead["workers_alive"], dead["tasks_in_progress"]) == (0, 0), dead
        assert dead["awaiting_redelivery"] >= 1 and client.scard("sieve:workers:known") == 0
        deployment.start("worker.2", "worker")
        dataset = _wait(deployment.urls[0], dataset_id, timeout=120)
        took = time.monotonic() - killed_at
        assert dataset["validation_status"] == "validated"
        assert wait_until(lambda: _status(deployment.urls[0])[0]["tasks_in_progress"] == 0)
        idle = _answered_at_once(deployment.urls[0])  # tasks after the verdict: done
        assert (idle["workers_alive"], idle["awaiting_redelivery"]) == (1, 0), idle
        assert sum(p["num_rows"] for p in dataset["dataset_parts"]) == 300_000
        print(
            f"redelivered and finished {took:.1f} s after the kill (visibility {visibility} s, sweep {sweep} s)"
        )
        assert took < visibility + sweep + 20
    finally:
        deployment.stop()


def test_redis_restart_during_validation_loses_nothing(tmp_path):
    import requests

    from cli.embedded_redis import free_port, spawn_redis_server

    port = free_port()
    redis_dir = tmp_path / "redis"
    server = spawn_redis_server(port, redis_dir, durable=True)  # AOF, fsync every second
    deployment = Deployment(
        f"redis://127.0.0.1:{port}/0",
        tmp_path,
        SIEVE_CHUNK_BYTES=str(256 * 1024),
        # a message the worker held when its connection dropped is restored after this
        SIEVE_VISIBILITY_TIMEOUT="10",
        SIEVE_UNACKED_RESTORE_SECONDS="1",
        SIEVE_STALL_SECONDS="5",  # what the restart lost (its last writes) is sent again
    )
    try:
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker")
        deployment.start("beat.1", "beat")
        dataset_id = _upload(deployment.urls[0], 300_000, "restart")  # ~60 chunks
        client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
        deadline = time.monotonic() + 30
        while client.hlen(f"sieve:ds:{dataset_id}:reports") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        usage = requests.get(f"{deployment.urls[0]}/v1/datasets/usage", headers=HEADERS).json()
        assert client.hget(f"sieve:ds:{dataset_id}", "status") == "processing"
        server.terminate()  # Redis goes away mid-validation...
        server.wait(timeout=30)
        time.sleep(1)
        server = spawn_redis_server(port, redis_dir, durable=True)  # ...and comes back from its AOF
        deadline = time.monotonic() + 120
        dataset = None
        while time.monotonic() < deadline:
            try:
                response = requests.get(
                    f"{deployment.urls[0]}/v1/datasets/{dataset_id}", headers=HEADERS
                )
                if response.status_code == 200 and response.json()["dataset"][
                    "validation_status"
                ] in ("validated", "failed"):
                    dataset = response.json()["dataset"]
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        assert dataset is not None and dataset["validation_status"] == "validated", dataset
        assert sum(p["num_rows"] for p in dataset["dataset_parts"]) == 300_000
        assert (
            requests.get(f"{deployment.urls[0]}/v1/datasets/usage", headers=HEADERS).json() == usage
        )
    finally:
        deployment.stop()
        server.terminate()
        server.wait(timeout=30)


def test_storage_full_answers_503_leaves_nothing_and_recovers(redis_server, tmp_path, small_disk):

    import requests

    from cli.embedded_redis import free_port

    disk = small_disk
    deployment = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_STORAGE_URL=f"file://{disk}",
        SIEVE_MAX_DATASET_BYTES=str(100 * 1024 * 1024),
    )
    try:
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker")
        url = deployment.urls[0]
        filler = disk / "filler.bin"  # someone else filled the disk
        filler.write_bytes(b"\0" * (3584 * 1024))
        body = b"".join(b'{"text": "row %d"}\n' % i for i in range(60_000))  # ~1 MB
        response = requests.post(
            f"{url}/v1/datasets",
            params={"name": "full", "type": "embed-input"},
            files={"data": ("a.jsonl", body)},
            headers=HEADERS,
        )
        assert response.status_code == 503
        assert response.json() == {"message": "storage is full; try again later"}
        assert [p for p in disk.rglob("*") if p.is_file()] == [filler]  # nothing half-written
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json() == {
            "organization_usage": 0
        }
        assert requests.get(f"{url}/v1/datasets", headers=HEADERS).json() == {"datasets": []}

        filler.unlink()  # space comes back: the service carries on without a restart
        dataset_id = _upload(url, 60_000, "fits")
        assert _wait(url, dataset_id)["validation_status"] == "validated"
    finally:
        deployment.stop()


def test_a_poison_chunk_that_kills_its_process_fails_after_bounded_attempts(redis_server, tmp_path):
    import re

    import requests

    from tests.e2e.conftest import start_stack

    stack = start_stack(
        redis_server,
        tmp_path,
        celery_app="tests.e2e.poisoned_worker",  # SIGKILLs itself on chunks holding "POISON"
        SIEVE_CHUNK_BYTES="4096",
        SIEVE_MAX_CHUNK_ATTEMPTS="3",
    )
    try:
        lines = [b'{"text": "row %d"}\n' % i for i in range(1000)]
        lines[500] = b'{"text": "POISON"}\n'
        poison_at = len(b"".join(lines[:500]))
        response = requests.post(
            f"{stack.url}/v1/datasets",
            params={"name": "poisoned", "type": "embed-input"},
            files={"data": ("a.jsonl", b"".join(lines))},
            headers=stack.headers(),
            timeout=30,
        )
        dataset_id = response.json()["id"]
        dataset = stack.wait_final(dataset_id, timeout=120)
        assert dataset["validation_status"] == "failed"
        error = dataset["validation_error"]
        assert "crashed the validator 3 times; please check that part of the file" in error
        start, end = map(int, re.search(r"its bytes (\d+)-(\d+)", error).groups())
        assert start <= poison_at < end  # it names where the poison is

        client = redis.Redis.from_url(stack.env["REDIS_URL"], decode_responses=True)
        attempts_key = f"sieve:ds:{dataset_id}:attempts"
        attempts = sorted(int(v) for v in client.hvals(attempts_key))
        assert attempts[-1] == 4, attempts  # 3 deaths, then the 4th delivery gave up
        time.sleep(3)  # and it never loops
        assert sorted(int(v) for v in client.hvals(attempts_key)) == attempts
        assert client.llen("celery") == 0 and client.hlen("unacked") == 0
        token = dataset_id.rsplit("-", 1)[1]
        assert [p for p in stack.stored_files() if token in str(p) and "/parts/" in str(p)] == []

        log = (tmp_path / "stack.log").read_text(errors="replace")
        assert log.count("WorkerLostError") >= 3  # real process deaths, not exceptions
        good = requests.post(
            f"{stack.url}/v1/datasets",
            params={"name": "after", "type": "embed-input"},
            files={"data": ("a.jsonl", b'{"text": "fine"}\n' * 300)},
            headers=stack.headers(),
            timeout=30,
        )
        assert stack.wait_final(good.json()["id"])["validation_status"] == "validated"
    finally:
        stack.stop()


def test_retention_while_validating_leaves_nothing_and_releases_once(redis_server, tmp_path):
    import requests

    from cli.embedded_redis import free_port

    deployment = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_CHUNK_BYTES="300",  # hundreds of chunks: validation outlives the retention
        SIEVE_RETENTION_DAYS=str(3 / 86400),
        SIEVE_RETENTION_SWEEP_SECONDS="1",
    )
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    try:
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker")
        deployment.start("beat.1", "beat")
        url = deployment.urls[0]
        dataset_id = _upload(url, 20_000, "expiring")
        token = dataset_id.rsplit("-", 1)[1]
        blobs = Path(deployment.env["SIEVE_STORAGE_URL"].removeprefix("file://"))
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()[
            "organization_usage"
        ]
        deadline = time.monotonic() + 60
        seen = None
        while time.monotonic() < deadline:
            response = requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS)
            if response.status_code == 404:
                break
            seen = response.json()["dataset"]["validation_status"]
            time.sleep(0.2)
        assert seen == "processing"  # it expired mid-validation
        deadline = time.monotonic() + 120  # the queued chunks run on, finding it gone
        while (client.llen("celery") or client.hlen("unacked")) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)
        assert requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS).status_code == 404
        assert requests.get(f"{url}/v1/datasets", headers=HEADERS).json() == {"datasets": []}
        assert [p for p in files_under(blobs) if token in str(p)] == []
        assert client.keys(f"sieve:ds:{dataset_id}*") == []
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json() == {
            "organization_usage": 0
        }
        body = b'{"text": "next"}\n' * 10  # released once: the next upload counts from zero
        requests.post(
            f"{url}/v1/datasets",
            params={"name": "next", "type": "embed-input"},
            files={"data": ("a.jsonl", body)},
            headers=HEADERS,
        ).raise_for_status()
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json() == {
            "organization_usage": len(body)
        }
    finally:
        deployment.stop()


def test_a_web_process_killed_mid_upload_has_its_quota_and_temp_file_reclaimed(
    redis_server, tmp_path
):
    import requests

    from cli.embedded_redis import free_port
    from tests.e2e.conftest import open_raw_upload

    deployment = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_ABANDONED_UPLOAD_SECONDS="4",
        SIEVE_RETENTION_SWEEP_SECONDS="1",
    )
    blobs = Path(deployment.env["SIEVE_STORAGE_URL"].removeprefix("file://"))

    def usage(url: str) -> int:
        return requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()[
            "organization_usage"
        ]

    def in_flight() -> list[Path]:
        return list(blobs.glob(".tmp/*.part"))

    try:
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker")
        deployment.start("beat.1", "beat")
        url = deployment.urls[0]
        sock = open_raw_upload(url, HEADERS["Authorization"], 50 * 1024 * 1024)
        sock.sendall(b"x" * (20 * 1024 * 1024))  # 20 of 50 MB, then the web process dies
        deadline = time.monotonic() + 30
        while usage(url) < 16 * 1024 * 1024 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert usage(url) >= 16 * 1024 * 1024 and in_flight()
        web = psutil.Process(deployment.processes["web.1"].pid)
        for process in [web, *web.children(recursive=True)]:  # no goodbye, no cleanup
            process.send_signal(signal.SIGKILL)
        sock.close()
        killed_at = time.monotonic()
        deployment.start_web("web.2", free_port())
        url = deployment.urls[1]
        assert usage(url) >= 16 * 1024 * 1024  # held by an upload that will never finish...
        deadline = time.monotonic() + 60
        while (usage(url) or in_flight()) and time.monotonic() < deadline:
            time.sleep(0.2)
        took = time.monotonic() - killed_at
        assert usage(url) == 0 and in_flight() == []  # ...until beat gave it back
        print(f"reclaimed {took:.1f} s after the kill (silent 4 s, swept every 1 s)")
        dataset_id = _upload(url, 100, "after")
        assert _wait(url, dataset_id)["validation_status"] == "validated"
        assert usage(url) > 0
    finally:
        deployment.stop()


def _final_within(url: str, dataset_ids: list[str], seconds: float) -> dict[str, dict]:
    """Each dataset's final record, polled until `seconds` pass (then what was seen)."""
    import requests

    deadline, finals = time.monotonic() + seconds, {}
    while time.monotonic() < deadline and len(finals) < len(dataset_ids):
        for dataset_id in set(dataset_ids) - set(finals):
            try:
                response = requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS)
            except requests.RequestException:
                continue
            dataset = response.json().get("dataset") if response.status_code == 200 else None
            if dataset and dataset["validation_status"] in ("validated", "failed"):
                finals[dataset_id] = dataset
        time.sleep(0.2)
    return finals


def test_task_messages_lost_by_redis_are_driven_again(redis_server, tmp_path):
    """Redis may lose its last second of writes, task messages included: here every message
    is dropped right after the uploads are enqueued. Beat's stall sweep sends the work again."""
    import requests

    from cli.embedded_redis import free_port

    deployment = Deployment(
        fresh_database(redis_server), tmp_path, SIEVE_CHUNK_BYTES="4096", SIEVE_STALL_SECONDS="3"
    )
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    try:
        deployment.start_web("web.1", free_port())
        url = deployment.urls[0]
        ids = [_upload(url, 2_000, f"lost-{n}") for n in range(3)]  # nothing consumes them yet
        usage = requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()
        assert client.llen("celery") >= 3  # a start each, and the chunks cut as they came
        client.delete("celery")  # ...and the messages are lost
        deployment.start("worker.1", "worker")
        deployment.start("beat.1", "beat")
        finals = _final_within(url, ids, 60)
        assert {f["validation_status"] for f in finals.values()} == {"validated"}, finals
        assert all(sum(p["num_rows"] for p in f["dataset_parts"]) == 2_000 for f in finals.values())
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json() == usage
        assert client.zcard("sieve:datasets:active") == 0
    finally:
        deployment.stop()


def test_redis_down_longer_than_the_tasks_patience_every_dataset_still_ends(tmp_path):
    """The outage outlasts the tasks' patience (in CI 15 s against 3 s: the regime of a
    3-minute outage against the default 60 s; SIEVE_DRILL_OUTAGE_SECONDS=180
    SIEVE_DRILL_PATIENCE_SECONDS=60 SIEVE_DRILL_STALL_SECONDS=30 runs it at full length, with
    the defaults): work left unacknowledged is driven
    again, and every dataset is final within a minute of Redis coming back, usage exact."""
    import os

    import requests

    from cli.embedded_redis import free_port, spawn_redis_server

    port = free_port()
    redis_dir = tmp_path / "redis"
    server = spawn_redis_server(port, redis_dir, durable=True)
    deployment = Deployment(
        f"redis://127.0.0.1:{port}/0",
        tmp_path,
        SIEVE_CHUNK_BYTES=str(64 * 1024),
        SIEVE_STALL_SECONDS=os.environ.get("SIEVE_DRILL_STALL_SECONDS", "5"),
        SIEVE_OUTAGE_PATIENCE_SECONDS=os.environ.get("SIEVE_DRILL_PATIENCE_SECONDS", "3"),
    )
    try:
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker")
        deployment.start("beat.1", "beat")
        url = deployment.urls[0]
        ids = [_upload(url, 60_000, f"outage-{n}") for n in range(3)]  # ~40 chunks each
        usage = requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json()
        client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
        deadline = time.monotonic() + 30
        while not client.hlen(f"sieve:ds:{ids[0]}:reports") and time.monotonic() < deadline:
            time.sleep(0.01)
        server.terminate()  # Redis goes away mid-validation, for longer than the patience
        server.wait(timeout=30)
        time.sleep(float(os.environ.get("SIEVE_DRILL_OUTAGE_SECONDS", "15")))
        server = spawn_redis_server(port, redis_dir, durable=True)
        back = time.monotonic()
        finals = _final_within(url, ids, 60)
        took = time.monotonic() - back
        print(f"all final {took:.1f} s after Redis came back")
        assert len(finals) == 3, f"not final {took:.0f} s after Redis came back"
        assert {f["validation_status"] for f in finals.values()} == {"validated"}, finals
        assert all(
            sum(p["num_rows"] for p in f["dataset_parts"]) == 60_000 for f in finals.values()
        )
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json() == usage
    finally:
        deployment.stop()
        server.terminate()
        server.wait(timeout=30)


def test_storage_full_during_validation_is_said_as_the_service_s_problem(
    redis_server, tmp_path, small_disk
):
    """The disk fills between the upload and its validation: the dataset fails at once, saying
    the service's storage is full (not "internal error", not the data's fault)."""
    import os

    import requests

    from cli.embedded_redis import free_port
    from workers.tasks import STORAGE_FULL

    disk = small_disk
    deployment = Deployment(
        fresh_database(redis_server), tmp_path, SIEVE_STORAGE_URL=f"file://{disk}"
    )
    try:
        deployment.start_web("web.1", free_port())
        url = deployment.urls[0]
        dataset_id = _upload(url, 60_000, "then-full")  # stored; no worker yet
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler = disk / "filler.bin"
        with open(filler, "wb") as out, contextlib.suppress(OSError):
            out.write(b"\0" * free)  # someone else fills the disk
        deployment.start("worker.1", "worker")
        dataset = _wait(url, dataset_id)
        assert dataset["validation_status"] == "failed"
        assert dataset["validation_error"] == STORAGE_FULL
        assert requests.delete(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS).ok
        assert requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).json() == {
            "organization_usage": 0
        }
    finally:
        deployment.stop()
