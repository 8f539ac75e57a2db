"""Run it like production: the Procfile's processes as separate OS processes — 2 web, 2 workers,
beat — on a real redis-server, with retention, health, graceful shutdown and `honcho start`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
import requests
import yaml

from cli.embedded_redis import free_port, port_is_free, wait_for_port
from cli.processes import start_process
from tests.e2e.conftest import BIN, KEYS, ROOT, files_under, fresh_database, wait_until

HEADERS = {"Authorization": f"Bearer {KEYS['acme']}"}


def two_free_ports() -> int:
    while True:
        base = free_port()
        if port_is_free(base + 1):
            return base


class Deployment:
    """The Procfile's process types started one OS process each, like a process manager would."""

    def __init__(self, redis_url: str, workdir: Path, **settings: str) -> None:
        self.redis_url = redis_url
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "SIEVE_STORAGE_URL": f"file://{workdir / 'blobs'}",
            "SIEVE_API_KEYS": f"acme:{KEYS['acme']}",
            "SIEVE_SECRET_KEY": "prod-secret",
            "SIEVE_BEAT_SCHEDULE": str(workdir / "beat-schedule"),
            "WEB_CONCURRENCY": "1",
            "SIEVE_WORKER_CONCURRENCY": "1",
            **settings,
        }
        self.logs = open(workdir / "processes.log", "wb")  # noqa: SIM115 - closed in stop()
        self.processes: dict[str, subprocess.Popen] = {}
        self.urls: list[str] = []

    @classmethod
    def web_and_worker(
        cls, redis_url: str, workdir: Path, chunk_bytes: int, **settings: str
    ) -> Deployment:
        """One web process and one worker (two pool processes) on database 0 of `redis_url`."""
        deployment = cls(f"{redis_url}/0", workdir, SIEVE_CHUNK_BYTES=str(chunk_bytes), **settings)
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker", SIEVE_WORKER_CONCURRENCY="2")
        return deployment

    def start(self, name: str, kind: str, **env: str) -> subprocess.Popen:
        process = start_process(kind, {**self.env, **env}, self.logs)
        self.processes[name] = process
        return process

    def start_web(self, name: str, port: int) -> None:
        url = f"http://127.0.0.1:{port}"
        self.start(name, "web", PORT=str(port), SIEVE_PUBLIC_URL=url)
        wait_for_port(port, timeout=30)
        self.urls.append(url)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.logs.close()


@pytest.fixture
def deployment(redis_server, tmp_path):
    started = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_CHUNK_BYTES="2000",
        SIEVE_RETENTION_DAYS=str(20 / 86400),
        SIEVE_RETENTION_SWEEP_SECONDS="1",
    )
    yield started
    started.stop()


def _upload(url: str, rows: int, name: str) -> str:
    body = "".join(json.dumps({"text": f"{name} row {i}"}) + "\n" for i in range(rows)).encode()
    response = requests.post(
        f"{url}/v1/datasets",
        params={"name": name, "type": "embed-input"},
        files={"data": ("d.jsonl", body)},
        headers=HEADERS,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _wait(url: str, dataset_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dataset = requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS).json()["dataset"]
        if dataset["validation_status"] in ("validated", "failed"):
            return dataset
        time.sleep(0.2)
    raise TimeoutError(dataset_id)


def test_two_webs_two_workers_and_beat(deployment):
    base = two_free_ports()
    deployment.start_web("web.1", base)
    deployment.start_web("web.2", base + 1)
    deployment.start("worker.1", "worker")
    deployment.start("worker.2", "worker")
    deployment.start("beat.1", "beat")
    for url in deployment.urls:
        assert requests.get(f"{url}/healthz").json() == {"ok": True}
        assert requests.get(f"{url}/readyz").status_code == 200
    log = Path(deployment.logs.name)  # both workers take tasks before the first upload
    assert wait_until(lambda: log.read_bytes().count(b" ready.") >= 2, timeout=60)

    first = _upload(deployment.urls[0], 1500, "through web one")
    second = _upload(deployment.urls[1], 1500, "through web two")
    for dataset_id in (first, second):  # each web process serves the other's datasets
        for url in deployment.urls:
            assert _wait(url, dataset_id)["validation_status"] == "validated"

    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    workers = {json.loads(r)["worker"] for r in client.hvals(f"sieve:ds:{first}:reports")}
    chunks = client.hlen(f"sieve:ds:{first}:reports")
    assert chunks > 20 and len(workers) == 2, (chunks, workers)

    status = json.loads(
        subprocess.run(
            [str(BIN / "sieve"), "status", "--json"],
            env=deployment.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert len(status["workers_alive"]) == 2, status  # a node name each: both answer
    assert status["datasets_by_status"].get("validated") == 2

    deadline = time.monotonic() + 60  # retention: 20 s, swept every second
    while time.monotonic() < deadline:
        if (
            requests.get(f"{deployment.urls[0]}/v1/datasets/{first}", headers=HEADERS).status_code
            == 404
        ):
            break
        time.sleep(0.5)
    assert (
        requests.get(f"{deployment.urls[1]}/v1/datasets/{first}", headers=HEADERS).status_code
        == 404
    )
    usage = requests.get(f"{deployment.urls[0]}/v1/datasets/usage", headers=HEADERS).json()
    deadline = time.monotonic() + 30
    while usage["organization_usage"] and time.monotonic() < deadline:
        time.sleep(0.5)
        usage = requests.get(f"{deployment.urls[0]}/v1/datasets/usage", headers=HEADERS).json()
    assert usage == {"organization_usage": 0}
    blobs = Path(deployment.env["SIEVE_STORAGE_URL"].removeprefix("file://")) / "datasets"
    assert wait_until(lambda: not files_under(blobs))

    deployment.logs.flush()
    log_lines = Path(deployment.logs.name).read_text(errors="replace").splitlines()
    events = [json.loads(line) for line in log_lines if line.startswith('{"ts"')]
    create = next(e for e in events if e["event"] == "request" and e["method"] == "POST")
    task_ids = {
        e["request_id"]
        for e in events
        if e["event"] == "task" and e["dataset_id"] == create["dataset_id"]
    }
    assert task_ids == {create["request_id"]}  # the request id followed the work
    assert KEYS["acme"] not in "\n".join(log_lines) and "row 7" not in "\n".join(log_lines)


def test_without_redis_readyz_and_the_api_answer_503_with_a_reason(redis_server, tmp_path):
    port = free_port()
    deployment = Deployment("redis://127.0.0.1:1/0", tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        deployment.start(
            "web.1",
            "web",
            PORT=str(port),
            SIEVE_PUBLIC_URL=url,
            SIEVE_API_KEYS="",
            SIEVE_SECRET_KEY="s",
        )
        wait_for_port(port, timeout=30)
        response = requests.get(f"{url}/readyz")
        assert response.status_code == 503 and "redis is unreachable" in response.json()["message"]
        assert requests.get(f"{url}/healthz").status_code == 200
        headers = {"Authorization": "Bearer sk-anything"}
        for method, path in (
            ("GET", "/v1/datasets"),
            ("GET", "/v1/datasets/usage"),
            ("GET", "/v1/datasets/some-id"),
            ("DELETE", "/v1/datasets/some-id"),
            ("POST", "/v1/datasets?name=x&type=embed-input"),
        ):
            response = requests.request(
                method, f"{url}{path}", headers=headers, files={"data": ("a.jsonl", b"{}\n")}
            )
            assert response.status_code == 503, (method, path, response.text)
            assert response.json() == {
                "message": "the service is briefly unavailable; try again shortly"
            }
            assert response.headers["Retry-After"] == "5"
    finally:
        deployment.stop()


def test_sigterm_on_a_busy_worker_loses_nothing(deployment):
    port = free_port()
    deployment.env["SIEVE_CHUNK_BYTES"] = str(8 * 1024 * 1024)
    deployment.start_web("web.1", port)
    busy = deployment.start("worker.1", "worker")
    dataset_id = _upload(deployment.urls[0], 400_000, "big")  # a few chunks of ~8 MB
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    deadline = time.monotonic() + 30
    while not client.hlen(f"sieve:ds:{dataset_id}:attempts") and time.monotonic() < deadline:
        time.sleep(0.02)
    busy.send_signal(signal.SIGTERM)  # warm shutdown: finish the chunk in hand
    assert busy.wait(timeout=60) == 0
    deployment.start("worker.2", "worker")  # picks up whatever is left
    dataset = _wait(deployment.urls[0], dataset_id, timeout=120)
    assert dataset["validation_status"] == "validated"
    assert sum(p["num_rows"] for p in dataset["dataset_parts"]) == 400_000


def test_sigterm_on_web_finishes_the_request_in_flight(deployment):
    port = free_port()
    deployment.start_web("web.1", port)
    deployment.start("worker.1", "worker")
    body = b"".join(b'{"text": "slow %d"}\n' % i for i in range(100_000))
    boundary = "sieveboundary"

    def slow_multipart():  # about 2 s of streaming, chunked
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; '
            'filename="s.jsonl"\r\n\r\n'
        ).encode()
        for offset in range(0, len(body), 128 * 1024):
            yield body[offset : offset + 128 * 1024]
            time.sleep(0.1)
        yield f"\r\n--{boundary}--\r\n".encode()

    result = {}

    def send() -> None:
        result["response"] = requests.post(
            f"{deployment.urls[0]}/v1/datasets",
            params={"name": "slow", "type": "embed-input"},
            data=slow_multipart(),
            timeout=60,
            headers={**HEADERS, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    sender = threading.Thread(target=send)
    sender.start()
    in_progress = Path(deployment.env["SIEVE_STORAGE_URL"].removeprefix("file://")) / ".tmp"
    deadline = time.monotonic() + 30
    while not list(in_progress.glob("*.part")) and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until the server is streaming the upload to storage
    deployment.processes["web.1"].send_signal(signal.SIGTERM)
    sender.join(timeout=60)
    assert result["response"].status_code == 200, result["response"].text
    assert deployment.processes["web.1"].wait(timeout=30) == 0
    dataset_id = result["response"].json()["id"]
    client = redis.Redis.from_url(deployment.redis_url, decode_responses=True)
    assert client.hget(f"sieve:ds:{dataset_id}", "status") in ("queued", "processing", "validated")


def test_honcho_runs_the_procfile(redis_server, tmp_path):
    base = two_free_ports()
    env = Deployment(fresh_database(redis_server), tmp_path).env
    env["PATH"] = f"{BIN}:{env['PATH']}"  # honcho runs the Procfile through its own shell
    honcho = subprocess.Popen(
        [
            str(BIN / "honcho"),
            "start",
            "-f",
            "Procfile",
            "-p",
            str(base),
            "-c",
            "web=1,worker=1,beat=1",
        ],
        cwd=ROOT,
        env={**env, "SIEVE_PUBLIC_URL": f"http://127.0.0.1:{base}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(base, timeout=30)
        dataset_id = _upload(f"http://127.0.0.1:{base}", 50, "honcho")
        assert _wait(f"http://127.0.0.1:{base}", dataset_id)["validation_status"] == "validated"
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        honcho.wait(timeout=30)


def test_compose_file_runs_every_process_type_with_persistent_redis():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert (
        services["web"]["deploy"]["replicas"] == 2 and services["worker"]["deploy"]["replicas"] == 2
    )
    assert "--appendonly" in services["redis"]["command"] and "beat" in services["beat"]["command"]
    shared = compose["x-sieve"]["environment"]  # the bucket, not a shared volume
    assert shared["SIEVE_STORAGE_URL"] == "s3://sieve/data"
    assert shared["SIEVE_S3_ENDPOINT_URL"] == "http://s3:9000"
    assert "mc mb --ignore-existing s3/sieve" in services["bucket"]["entrypoint"][-1]
    assert services["web"]["depends_on"]["bucket"] == {
        "condition": "service_completed_successfully"
    }
    assert "volumes" not in services["web"] and set(compose["volumes"]) == {"redis", "s3"}
    app = json.loads((ROOT / "deploy" / "app.json").read_text())
    assert set(app["formation"]) == {"web", "worker", "beat"}
