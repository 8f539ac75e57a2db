"""A whole Sieve stack as separate OS processes: gunicorn (the Procfile's web) and a Celery
worker, started as `sieve web` and `sieve worker`, on a real valkey-server, over real HTTP."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from cli.embedded_redis import free_port, spawn_redis_server, wait_for_port
from cli.processes import start_process

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEYS = {
    "acme": "sk-test-acme-0123456789abcdef",
    "globex": "sk-test-globex-0123456789abcdef",
    "quota": "sk-test-quota-0123456789abcdef",
    "racers": "sk-test-racers-0123456789abcdef",
    "fuzz": "sk-test-fuzz-0123456789abcdef",
}
_databases = itertools.count(1)  # 0 is left to the tests that use the server's default


def fresh_database(redis_url: str) -> str:
    """A database of the session's server that no other stack or deployment of this process
    has used: two tests sharing one (each had picked a fixed number) saw each other's usage.
    It is checked empty, so a test that writes to it another way is caught here."""
    import redis

    url = f"{redis_url}/{next(_databases)}"
    left = redis.Redis.from_url(url).dbsize()
    assert left == 0, f"{url} already holds {left} keys: another test uses it"
    return url


@dataclass
class Stack:
    url: str
    storage: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def headers(self, org: str = "acme") -> dict[str, str]:
        return {"Authorization": f"Bearer {KEYS[org]}"}

    def create(
        self, files: dict, name: str = "t", org: str = "acme", **params: str
    ) -> requests.Response:
        """POST /v1/datasets with `files` ({"data": (filename, bytes), ...}), an embed-input
        dataset unless `type` says otherwise."""
        return requests.post(
            f"{self.url}/v1/datasets",
            params={"name": name, "type": "embed-input", **params},
            files=files,
            headers=self.headers(org),
            timeout=60,
        )

    def usage(self, org: str = "acme") -> int:
        response = requests.get(f"{self.url}/v1/datasets/usage", headers=self.headers(org))
        return response.json()["organization_usage"]

    def list(self, org: str = "acme", **query: str) -> list[dict]:
        response = requests.get(f"{self.url}/v1/datasets", params=query, headers=self.headers(org))
        return response.json()["datasets"]

    def wait_final(self, dataset_id: str, org: str = "acme", timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = requests.get(
                f"{self.url}/v1/datasets/{dataset_id}", headers=self.headers(org)
            )
            response.raise_for_status()
            dataset = response.json()["dataset"]
            if dataset["validation_status"] in ("validated", "failed"):
                return dataset
            time.sleep(0.1)
        raise TimeoutError(f"{dataset_id} did not finish in {timeout} s")

    def expect_outcome(self, response: requests.Response, expected: object, org: str = "acme"):
        """A create's outcome, as a corpus case expects it: an HTTP status (a refused upload,
        answered in JSON), or ("validated" | "failed", text the error contains). Never a 5xx,
        never "internal error" for the data. The dataset is deleted afterwards."""
        assert response.status_code < 500, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        if isinstance(expected, int):
            assert response.status_code == expected, response.text
            assert response.json()["message"]
            return
        assert response.status_code == 200, response.text
        status, text = expected
        dataset = self.wait_final(response.json()["id"], org, timeout=60)
        error = dataset.get("validation_error") or ""
        assert dataset["validation_status"] == status, (error, dataset.get("validation_warnings"))
        assert text in error and "internal error" not in error, error
        requests.delete(f"{self.url}/v1/datasets/{dataset['id']}", headers=self.headers(org))

    def stored_files(self) -> list[Path]:
        """Every file in storage."""
        found = files_under(self.storage)
        return sorted(path for path in found if path.is_file())

    def uploaded_files(self) -> list[Path]:
        """Stored uploads and uploads in flight: what a refused create must not leave behind
        (unlike parts, which other datasets' validation may be writing meanwhile)."""
        return [p for p in self.stored_files() if p.parent.name in ("upload", ".tmp")]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def put_part(
    url: str, headers: dict[str, str], upload_id: str, number: int, part: bytes
) -> requests.Response:
    """PUT one part of a resumable upload with its SHA-256, as the CLI sends it."""
    digest = {"X-Content-SHA256": hashlib.sha256(part).hexdigest()}
    return requests.put(
        f"{url}/v1/uploads/{upload_id}/parts/{number}", data=part, headers={**headers, **digest}
    )


def files_under(folder: Path) -> list[Path]:
    """Every file below `folder`. os.walk passes over a folder removed while it looks (a sweep
    running meanwhile); Path.rglob raises FileNotFoundError there."""
    return [Path(root) / name for root, _, names in os.walk(folder) for name in names]


def wait_until(condition: Callable[[], object], timeout: float = 30) -> bool:
    """Poll `condition` until it is truthy (True) or `timeout` seconds pass (False): for what
    the service finishes just after it answers, like cleanup after a verdict."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def sieve_cli(env: dict[str, str], *args: str) -> str:
    """Run the `sieve` command with `env`; its standard output."""
    return subprocess.run(
        [str(BIN / "sieve"), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def open_raw_upload(url: str, authorization: str, declared_bytes: int) -> socket.socket:
    """A create request over a bare socket: the request head and the file part's head are sent,
    the caller sends (or withholds) the `declared_bytes` of file content."""
    target = urlparse(url)
    part_head = (
        b'--xyzzy\r\nContent-Disposition: form-data; name="data"; filename="a.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    request_head = (
        f"POST /v1/datasets?name=raw&type=embed-input HTTP/1.1\r\nHost: {target.netloc}\r\n"
        f"Authorization: {authorization}\r\n"
        "Content-Type: multipart/form-data; boundary=xyzzy\r\n"
        f"Content-Length: {len(part_head) + declared_bytes}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((target.hostname, target.port))
    sock.sendall(request_head + part_head)
    return sock


def start_stack(
    redis_url: str, workdir: Path, celery_app: str = "workers.celery_app", **settings: str
) -> Stack:
    port = free_port()
    storage = workdir / "blobs"
    env = {
        **os.environ,
        "REDIS_URL": fresh_database(redis_url),
        "SIEVE_STORAGE_URL": f"file://{storage}",
        "SIEVE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SIEVE_API_KEYS": ",".join(f"{org}:{key}" for org, key in KEYS.items()),
        "SIEVE_SECRET_KEY": "e2e-secret",
        **settings,
    }
    stack = Stack(f"http://127.0.0.1:{port}", storage, env)
    logs = open(workdir / "stack.log", "wb")  # noqa: SIM115 - lives as long as the stack
    env["WEB_CONCURRENCY"] = "2"
    worker_options = ["--concurrency", "2", "--loglevel", "WARNING"]
    quiet = ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    stack.processes += [
        start_process("web", env, logs, "--host", "127.0.0.1", "--port", str(port)),
        start_process("worker", env, logs, "--app", celery_app, *worker_options, *quiet),
    ]
    wait_for_port(port, timeout=30)
    return stack


@pytest.fixture(scope="session")
def stack(redis_server: str, tmp_path_factory: pytest.TempPathFactory):
    """Default settings, but small limits so limit tests stay fast."""
    started = start_stack(
        redis_server,
        tmp_path_factory.mktemp("stack"),
        SIEVE_MAX_DATASET_BYTES=str(3 * 1024 * 1024),
        SIEVE_MAX_ORG_BYTES=str(5 * 1024 * 1024),
    )
    yield started
    started.stop()


@pytest.fixture(scope="session")
def tiny_chunk_stack(redis_server: str, tmp_path_factory: pytest.TempPathFactory):
    """Chunks of a few hundred bytes: every small file becomes many chunks."""
    started = start_stack(redis_server, tmp_path_factory.mktemp("tiny"), SIEVE_CHUNK_BYTES="300")
    yield started
    started.stop()


@dataclass
class SieveUp:
    """A running `sieve up`, started in a process group of its own as a terminal would."""

    process: subprocess.Popen
    banner: list[str]
    stderr_path: Path

    @property
    def url(self) -> str:
        return next(line.split()[4] for line in self.banner if line.startswith("Sieve is running"))

    @property
    def key(self) -> str | None:
        line = next((line for line in self.banner if line.startswith("API key (")), None)
        return line.rsplit(" ", 1)[1] if line else None

    def processes(self) -> list:
        """`sieve up` and every process below it (psutil)."""
        import psutil

        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def interrupt(self, timeout: float = 10) -> float:
        """Ctrl-C as a terminal sends it (SIGINT to the foreground process group); the seconds
        until `sieve up` exited."""
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=timeout)
        return time.monotonic() - started

    def stderr(self) -> str:
        return self.stderr_path.read_text()


def start_sieve_up(
    sieve: Path, port: int, env: dict[str, str], cwd: Path, *extra: str, ready: float = 90
) -> SieveUp:
    """`sieve up --port PORT ...` from `cwd`; returns once it printed its banner (or exited)."""
    stderr_path = cwd / f"sieve-up-{port}.err"
    process = subprocess.Popen(
        [str(sieve), "up", "--port", str(port), *extra],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(stderr_path, "w"),  # noqa: SIM115 - the child holds it
        text=True,
        start_new_session=True,
    )
    banner: list[str] = []
    deadline = time.monotonic() + ready
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line.rstrip("\n"))
        if line.startswith("Next:"):
            break
    return SieveUp(process, banner, stderr_path)


@pytest.fixture
def own_redis(tmp_path: Path):
    """A valkey-server of this test's own: its sweeps and flushes touch no other test's data."""
    port = free_port()
    process = spawn_redis_server(port, tmp_path / "redis", durable=False)
    wait_for_port(port, timeout=10)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)
