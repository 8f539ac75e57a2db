"""The three process types — web, worker, beat — defined once.

`sieve web|worker|beat` run them in the current process (the Procfile, `deploy/` and Docker
call those); `start_process` starts one as a child OS process (`sieve up`, the tests and the
benchmark use it), through the very same commands.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any

from store.settings import Settings
from store.telemetry import folder_registry, mark_process_dead, prepare_metrics_dir

PROCESS_TYPES = ("web", "worker", "beat")
WEB_APP = "api:create_app()"
CELERY_APP = "workers.celery_app"


def gunicorn_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """gunicorn settings for streaming uploads of up to 1.5 GB.

    The gevent worker reads every connection's request head without holding anything, so
    clients that send their headers slowly (or never finish them) can't take the places of
    normal requests, as they take gthread's threads. The long timeout covers a large upload
    on a slow link (it is a heartbeat, not a per-request limit)."""
    return {
        "bind": f"{host}:{port}",
        "workers": settings.web_concurrency or min(4, multiprocessing.cpu_count()),
        "worker_class": settings.web_worker_class,
        "worker_connections": 1000,  # gevent: connections per process
        "threads": settings.web_threads,  # gthread: threads per process
        "timeout": settings.web_timeout,
        "graceful_timeout": settings.web_graceful_timeout,
        "keepalive": 5,
        "limit_request_field_size": 16384,
        "accesslog": None,
        "proc_name": "sieve-web",
        "child_exit": lambda server, worker: mark_process_dead(worker.pid),
    }


def _write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own answers (414, 431, a broken request line) in the API's error shape."""
    from gunicorn.util import write_nonblock

    body = json.dumps({"message": mesg or reason}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    write_nonblock(sock, head.encode("latin-1") + body)


def run_web(settings: Settings, host: str, port: int, app: str = WEB_APP) -> None:
    """gunicorn serving `app` (module:callable()) in this process, until it is stopped."""
    from gunicorn import util
    from gunicorn.app.base import BaseApplication
    from gunicorn.util import import_app

    util.write_error = _write_json_error  # the one writer of gunicorn's own error pages
    prepare_metrics_dir(settings.metrics_dir)  # before a worker is forked

    class SieveWeb(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings, host, port).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return import_app(app)

    SieveWeb().run()


def run_celery(arguments: Sequence[str], app: str = CELERY_APP) -> None:
    """Celery's own command line (`celery -A app ...`) in this process."""
    from celery.bin.celery import celery

    celery.main(args=["-A", app, *arguments], prog_name="sieve")


def serve_worker_metrics(settings: Settings) -> None:
    """A worker's metrics folder (the host's, shared with its web process, or its own), and
    with SIEVE_WORKER_METRICS_PORT, that folder served for Prometheus (a host with no web)."""
    prepare_metrics_dir(settings.metrics_dir)
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, registry=folder_registry())


def worker_arguments(settings: Settings, extra: Sequence[str] = ()) -> list[str]:
    """`celery worker`'s arguments. Each worker process gets a node name of its own
    (`worker.PID@host`; Celery's default, `celery@host`, is the same for every worker of a
    machine, so their answers to `sieve status` overwrote each other), unless `extra` names it."""
    named = any(arg in ("-n", "--hostname") or arg.startswith("--hostname=") for arg in extra)
    return [
        "worker",
        "--loglevel=INFO",
        "--prefetch-multiplier=1",
        f"--max-memory-per-child={settings.worker_max_memory_kb}",
        *([] if named else [f"--hostname=worker.{os.getpid()}@%h"]),
        *extra,
    ]


def beat_arguments(settings: Settings, extra: Sequence[str] = ()) -> list[str]:
    return ["beat", "--loglevel=INFO", f"--schedule={settings.beat_schedule}", *extra]


def process_command(kind: str, *arguments: str) -> list[str]:
    """The command line of `sieve KIND ARGUMENTS` with this very Python."""
    if kind not in PROCESS_TYPES:
        raise ValueError(f"unknown process type {kind!r}")
    return [sys.executable, "-m", "cli", kind, *arguments]


def start_process(
    kind: str,
    env: dict[str, str],
    log: IO[bytes] | int | None,
    *arguments: str,
    new_session: bool = False,
) -> subprocess.Popen:
    """One process of type `kind` (web, worker, beat) as a child. `log` takes stdout and stderr;
    None leaves both to the caller's. `new_session` puts it (and its own children) in a process
    group of its own: a terminal's Ctrl-C then reaches only the parent, which stops it."""
    return subprocess.Popen(
        process_command(kind, *arguments),
        env=env,
        stdout=log,
        stderr=None if log is None else subprocess.STDOUT,
        start_new_session=new_session,
    )
