"""The multi-host topology of docs/multi-host.md as namespaced hosts (tests/drill/netns.py):
the Redis server, an S3 server (moto's), two web hosts, two worker hosts and beat, each
process type started through `sieve web|worker|beat` with the settings that guide names."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import boto3

from cli.embedded_redis import server_binary
from tests.drill.netns import Host, Lan, enter

API_KEY = "drill-key-0123456789"
BUCKET = "sieve-drill"
REDIS_PASSWORD = "drill-redis-password"  # a Redis that other hosts reach needs one
S3_PORT = 5000
WEB_PORT = 8000
HOSTS = {  # name -> last byte of its address
    "redis": 10,
    "s3": 11,
    "web1": 21,
    "web2": 22,
    "work1": 31,
    "work2": 32,
    "beat": 40,
    "client": 50,
}


def _without_proxies(env: dict[str, str]) -> dict[str, str]:
    """Nothing of the drill goes through a proxy of the machine: traffic stays on the bridge."""
    return {k: v for k, v in env.items() if not k.lower().endswith("_proxy")}


class Deployment:
    def __init__(self, prefix: str, workdir: Path, **settings: str) -> None:
        self.lan = Lan(prefix)
        self.workdir = workdir
        self.settings = settings
        self.logs: dict[str, object] = {}

    def host(self, name: str) -> Host:
        return self.lan.hosts[name]

    def url(self, web: str) -> str:
        return f"http://{self.host(web).address}:{WEB_PORT}"

    @property
    def redis_url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@{self.host('redis').address}:6379/0"

    @property
    def s3_endpoint(self) -> str:
        return f"http://{self.host('s3').address}:{S3_PORT}"

    def build(self) -> None:
        """Every host, then this process moved onto the client host, then the servers and
        Sieve's processes, each started once it can reach what it needs."""
        cleaned = _without_proxies(dict(os.environ))
        os.environ.clear()
        os.environ.update(cleaned)
        self.lan.create()
        for name, number in HOSTS.items():
            self.lan.add_host(name, number)
        enter(self.host("client"))
        self._start("redis", [server_binary(), "--bind", self.host("redis").address, "--port",
                              "6379", "--save", "", "--dir", str(self.workdir),
                              "--requirepass", REDIS_PASSWORD])  # fmt: skip
        moto = str(Path(sys.executable).parent / "moto_server")
        self._start("s3", [moto, "-H", self.host("s3").address, "-p", str(S3_PORT)])
        wait_for(self.host("redis").address, 6379)
        wait_for(self.host("s3").address, S3_PORT)
        self.s3().create_bucket(Bucket=BUCKET)  # docs/multi-host.md: the bucket must exist
        for web in ("web1", "web2"):
            self.start_sieve(web, "web", "--host", self.host(web).address, "--port", str(WEB_PORT))
        for worker in ("work1", "work2"):
            self.start_sieve(worker, "worker")
        self.start_sieve("beat", "beat")
        for web in ("web1", "web2"):
            wait_for(self.host(web).address, WEB_PORT)

    def sieve_env(self, host: str) -> dict[str, str]:
        """What every host shares (Redis, the bucket, the secret, the keys), and its own."""
        own = self.workdir / host
        own.mkdir(parents=True, exist_ok=True)
        return {
            **_without_proxies(dict(os.environ)),
            "REDIS_URL": self.redis_url,
            "SIEVE_STORAGE_URL": f"s3://{BUCKET}/sieve",
            "SIEVE_S3_ENDPOINT_URL": self.s3_endpoint,
            "SIEVE_S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "drill",
            "AWS_SECRET_ACCESS_KEY": "drill-secret",
            "SIEVE_SECRET_KEY": "drill-shared-secret",
            "SIEVE_API_KEYS": f"drill:{API_KEY}",
            "SIEVE_DATA_DIR": str(own),
            "SIEVE_METRICS_DIR": str(own / "metrics"),
            "SIEVE_BEAT_SCHEDULE": str(own / "beat-schedule"),
            **({"SIEVE_PUBLIC_URL": self.url(host)} if host.startswith("web") else {}),
            **self.settings,
        }

    def start_sieve(self, host: str, kind: str, *arguments: str) -> None:
        command = [sys.executable, "-m", "cli", kind, *arguments]
        self._start(host, command, self.sieve_env(host))

    def _start(self, host: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = self.logs.get(host) or open(self.workdir / f"{host}.log", "ab")  # noqa: SIM115
        self.logs[host] = log
        self.host(host).start(command, env or _without_proxies(dict(os.environ)), log)  # type: ignore[arg-type]

    def s3(self):  # noqa: ANN201 - a boto3 client
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="drill",
            aws_secret_access_key="drill-secret",
        )

    def stored_keys(self) -> list[str]:
        """Every object of the bucket, and every multipart upload begun (a write under way,
        or one its writer abandoned: it holds storage too)."""
        client = self.s3()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        objects = [item["Key"] for page in pages for item in page.get("Contents", [])]
        begun = client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        return objects + [f"{item['Key']} (multipart, unfinished)" for item in begun]

    def teardown(self) -> None:
        self.lan.remove()
        for log in self.logs.values():
            log.close()  # type: ignore[attr-defined]

    def log_tails(self, lines: int = 15) -> str:
        tails = []
        for host in self.logs:
            text = (self.workdir / f"{host}.log").read_text(errors="replace").splitlines()
            tails.append(f"--- {host} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(tails)


def wait_for(address: str, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {address}:{port} after {timeout:g} s")
