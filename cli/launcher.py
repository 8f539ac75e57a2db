"""`sieve up`: the whole system on one machine — the embedded Redis (unless REDIS_URL is set),
the web server, a Celery worker and beat — as supervised child processes, stopped together.

Each child runs in a session of its own, so a terminal's Ctrl-C reaches only `sieve up`, which
then stops them in order (SIGTERM, then SIGKILL of each process group after a grace period):
gunicorn never sees SIGINT and SIGQUIT at once, and no grandchild outlives the instance.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cli.embedded_redis import EmbeddedRedis
from cli.instance import (
    API_KEY_FILE,
    forget_instance,
    record_instance,
    saved_api_key,
    write_private,
)
from cli.processes import PROCESS_TYPES, start_process
from store import open_stores
from store.settings import Settings
from store.telemetry import prepare_metrics_dir

DEFAULT_ORG = "default"
STOP_GRACE_SECONDS = 6.0
READY_TIMEOUT_SECONDS = 60.0
STARTING_SECONDS = 15.0  # a child that exits this soon "stopped at start"
REDIS_RESTARTS_PER_MINUTE = 3


class LaunchError(RuntimeError):
    """`sieve up` can't go on; the message is the one line to show."""


@dataclass(frozen=True)
class UpOptions:
    host: str
    port: int
    workers: int
    data_dir: Path
    verbose: bool = False

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{shown}:{self.port}"


def _answers(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*")


def _reason(log_path: Path) -> str:
    """Why a process stopped, from the end of its log: the last exception line, else the
    last non-blank line."""
    try:
        with open(log_path, "rb") as log:
            lines = [line.decode("utf-8", "replace").strip() for line in deque(log, maxlen=80)]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    exceptions = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return (exceptions or lines or [""])[-1][:300]


class Instance:
    """The processes of one `sieve up`, and how they stop."""

    def __init__(self, options: UpOptions, env: dict[str, str]) -> None:
        self.options = options
        self.root = options.data_dir
        self.env = env
        self.log_dir = self.root / "logs"
        self.children: dict[str, subprocess.Popen] = {}
        self.redis: EmbeddedRedis | None = None
        self.stopping = False
        self.owns_root = False
        self._redis_restarts: deque[float] = deque()
        self._lock: IO[str] | None = None
        self._logs: list[IO[bytes]] = []
        self._started = 0.0

    def lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.root / "sieve.lock", "w")  # noqa: SIM115 - held while running
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.owns_root = True
        except BlockingIOError as exc:
            raise LaunchError(
                f"another `sieve up` is running with the data directory {self.root}; "
                "stop it or pick another with --data-dir"
            ) from exc

    def prepare(self) -> str | None:
        """Redis, storage and the first API key; returns a key to show (None: keys exist)."""
        if not self.env.get("REDIS_URL"):
            self.redis = EmbeddedRedis(self.root)
            try:
                self.env["REDIS_URL"] = self.redis.start()
            except (OSError, RuntimeError, TimeoutError) as exc:
                raise LaunchError(f"the embedded Redis server could not start: {exc}") from exc
        self.env.setdefault("SIEVE_STORAGE_URL", f"file://{self.root / 'blobs'}")
        self.env.setdefault("SIEVE_PUBLIC_URL", self.options.url)
        self.env.setdefault("SIEVE_BEAT_SCHEDULE", str(self.root / "celerybeat-schedule"))
        if not self.env.get("SIEVE_METRICS_DIR"):  # its processes only: emptied at each start
            self.env["SIEVE_METRICS_DIR"] = prepare_metrics_dir(str(self.root / "metrics"), True)
        self.env.setdefault("WEB_GRACEFUL_TIMEOUT", "4")  # Ctrl-C stops within seconds
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.env["SIEVE_DATA_DIR"] = str(self.root)
        if self.options.workers:
            self.env["SIEVE_WORKER_CONCURRENCY"] = str(self.options.workers)
        try:
            stores = open_stores(Settings.from_env(self.env))
        except OSError as exc:  # e.g. a storage directory that can't be created
            raise LaunchError(f"the storage can't be used: {exc}") from exc
        if self.env.get("SIEVE_API_KEYS"):
            return None
        key_file = self.root / API_KEY_FILE
        saved = saved_api_key(self.root)
        if saved and stores.api_keys.organization_for(saved):
            return saved
        if stores.api_keys.any_key_exists():
            return None
        key = stores.api_keys.create(DEFAULT_ORG)
        write_private(key_file, key + "\n")
        return key

    def log_path(self, kind: str) -> Path:
        return self.log_dir / f"{kind}.log"

    def start_children(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        arguments = {"web": ("--host", self.options.host, "--port", str(self.options.port))}
        self._started = time.monotonic()
        for kind in PROCESS_TYPES:
            log = None
            if not self.options.verbose:
                log = open(self.log_path(kind), "ab")  # noqa: SIM115 - closed in stop()
                self._logs.append(log)
            self.children[kind] = start_process(
                kind, self.env, log, *arguments.get(kind, ()), new_session=True
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self.stopping:
            self.check_children()
            if _answers(self.options.host, self.options.port):
                record_instance(self.root, self.options.url)
                return
            if time.monotonic() > deadline:
                raise LaunchError(
                    f"the web process did not answer within 60 s; see {self.where('web')}"
                )
            time.sleep(0.1)

    def where(self, kind: str) -> str:
        return "the output above" if self.options.verbose else str(self.log_path(kind))

    def check_children(self) -> None:
        for kind, child in self.children.items():
            if child.poll() is not None:
                early = time.monotonic() - self._started < STARTING_SECONDS
                when = "at start" if early else "unexpectedly"
                reason = "" if self.options.verbose else _reason(self.log_path(kind))
                detail = f": {reason}" if reason else ""
                raise LaunchError(
                    f"the {kind} process stopped {when} (exit {child.returncode}){detail}; "
                    f"see {self.where(kind)}"
                )
        if self.redis is not None and not self.redis.alive():
            self._restart_redis()

    def _restart_redis(self) -> None:
        now = time.monotonic()
        while self._redis_restarts and now - self._redis_restarts[0] > 60:
            self._redis_restarts.popleft()
        if len(self._redis_restarts) >= REDIS_RESTARTS_PER_MINUTE:
            raise LaunchError(
                "the embedded Redis server keeps stopping "
                f"({REDIS_RESTARTS_PER_MINUTE} restarts in a minute); see {self.redis.directory}"
            )
        self._redis_restarts.append(now)
        print("the embedded Redis server stopped; restarting it from its AOF", file=sys.stderr)
        self.redis.restart()

    def supervise(self) -> None:
        while not self.stopping:
            self.check_children()
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM every child's process group, SIGKILL what is left after the grace period,
        then stop Redis (which flushes its AOF)."""
        running = [child for child in self.children.values() if child.poll() is None]
        for child in running:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
        for child in self.children.values():
            _signal_group(child, signal.SIGKILL)  # grandchildren too, even if the leader left
            child.wait()
        if self.redis is not None:
            self.redis.stop()
        if self.owns_root:
            forget_instance(self.root)
        for log in self._logs:
            log.close()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def _banner(options: UpOptions, key: str | None, env: dict[str, str], log_dir: Path) -> str:
    if key:
        key_line = f"API key (organization '{DEFAULT_ORG}'): {key}"
    elif env.get("SIEVE_API_KEYS"):
        key_line = "API keys: those in SIEVE_API_KEYS"
    else:
        key_line = "API keys exist already; make another with: sieve keys create --org NAME"
    logs = "" if options.verbose else f"Logs: {log_dir}/ (--verbose shows them here)\n"
    sieve, activate = _sieve_command()
    return (
        f"{logs}Sieve is running at {options.url}  (Ctrl-C stops it)\n{key_line}\n"
        f"Next: {sieve} upload FILE --type embed-input --wait   ({activate}{sieve} --help)"
    )


def _sieve_command() -> tuple[str, str]:
    """How another shell calls this `sieve`: by name where PATH finds it, else by its path
    (after `make run`, .venv/bin is on no PATH), with how to put it there."""
    mine = Path(sys.executable).parent / "sieve"
    found = shutil.which("sieve")
    if not mine.exists() or (found is not None and Path(found).resolve() == mine.resolve()):
        return "sieve", ""
    return str(mine), f"or first: . {mine.parent / 'activate'}; more: "


def run_everything(options: UpOptions, env: dict[str, str] | None = None) -> int:
    """Run until Ctrl-C or SIGTERM (exit 0) or until a part fails (one line, exit 1)."""
    env = dict(os.environ if env is None else env)
    Settings.from_env(env)  # a bad setting is one line before anything starts
    instance = Instance(options, env)

    def stop(*_: object) -> None:
        instance.stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not _port_is_available(options.host, options.port):
            raise LaunchError(f"port {options.port} is already in use; pick another with --port")
        instance.lock()
        key = instance.prepare()
        if not instance.stopping:
            instance.start_children()
            instance.wait_until_ready()
        if not instance.stopping:
            print(_banner(options, key, env, instance.log_dir), flush=True)
            instance.supervise()
        return 0
    except LaunchError as exc:
        print(f"sieve up: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        instance.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _port_is_available(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
