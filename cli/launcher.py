"""`sieve up`: the whole system on one machine — Redis (embedded if none is configured), the web
server, a Celery worker and beat — as child processes, stopped together."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cli.procfile import start_process
from store import open_stores
from store.settings import Settings

DEFAULT_ORG = "default"
DEFAULT_REDIS_PORT = 6379


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout:.0f} s")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def spawn_redis_server(port: int, directory: Path, durable: bool) -> subprocess.Popen:
    """A real redis-server on 127.0.0.1:`port`; durable = append-only file, fsync every second."""
    directory.mkdir(parents=True, exist_ok=True)
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if durable else []
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            *persistence,
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process


def start_embedded_redis(data_dir: Path) -> tuple[str, subprocess.Popen | object]:
    """A real redis-server if one is installed, else fakeredis's in-process TCP server.

    It takes the default Redis port when free, so `sieve keys create` in another shell finds
    it with no configuration."""
    port = DEFAULT_REDIS_PORT if port_is_free(DEFAULT_REDIS_PORT) else free_port()
    if shutil.which("redis-server"):
        process = spawn_redis_server(port, data_dir / "redis", durable=True)
        return f"redis://127.0.0.1:{port}/0", process
    from threading import Thread

    from fakeredis import TcpFakeServer

    print(
        "warning: no redis-server on PATH; using an in-process Redis: state is NOT durable",
        file=sys.stderr,
    )
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    Thread(target=server.serve_forever, daemon=True).start()
    wait_for_port(port)
    return f"redis://127.0.0.1:{port}/0", server


def run_everything(port: int, workers: int, data_dir: str) -> int:
    if not port_is_free(port):
        print(f"port {port} is already in use; pick another with --port", file=sys.stderr)
        return 2
    root = Path(data_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    redis_handle = None
    if not env.get("REDIS_URL"):
        env["REDIS_URL"], redis_handle = start_embedded_redis(root)
    env.setdefault("SIEVE_STORAGE_URL", f"file://{root / 'blobs'}")
    env.setdefault("SIEVE_PUBLIC_URL", f"http://127.0.0.1:{port}")
    stores = open_stores(Settings.from_env(env))
    first_key = None
    if not stores.api_keys.any_key_exists() and not env.get("SIEVE_API_KEYS"):
        first_key = stores.api_keys.create(DEFAULT_ORG)
    env["PORT"] = str(port)
    env.setdefault("SIEVE_BEAT_SCHEDULE", str(root / "celerybeat-schedule"))
    if workers:
        env["SIEVE_WORKER_CONCURRENCY"] = str(workers)
    children = {kind: start_process(kind, env, None) for kind in ("web", "worker", "beat")}
    wait_for_port(port, timeout=60)
    print(f"Sieve is running at http://127.0.0.1:{port}  (Ctrl-C stops it)", flush=True)
    if first_key:
        print(f"API key for organization '{DEFAULT_ORG}': {first_key}", flush=True)
    else:
        print("API keys exist already; make another with: sieve keys create --org NAME", flush=True)
    if not env["REDIS_URL"].endswith(f":{DEFAULT_REDIS_PORT}/0"):
        print(f"Redis: export REDIS_URL={env['REDIS_URL']} to use the sieve command", flush=True)
    return _supervise(children, redis_handle)


def _supervise(children: dict[str, subprocess.Popen], redis_handle: object) -> int:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping", file=sys.stderr)
                stopping, exit_code = True, 1
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
    if isinstance(redis_handle, subprocess.Popen):
        redis_handle.terminate()
        redis_handle.wait(timeout=10)
    elif redis_handle is not None:
        redis_handle.shutdown()
    return exit_code
