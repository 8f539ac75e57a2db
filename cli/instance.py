"""What `sieve up` leaves in its data directory for the other `sieve` commands to find.

DATA_DIR/instance.json   the URL it serves and its pid, while it runs
DATA_DIR/api-key         the first API key it made (mode 0600)
DATA_DIR/redis/          the embedded server's AOF and address (see embedded_redis.py)
DATA_DIR/blobs/          the stored files
DATA_DIR/logs/sieve.log  the processes' own output
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from cli.embedded_redis import recorded_address
from store.settings import Settings

INSTANCE_FILE = "instance.json"
API_KEY_FILE = "api-key"


class NoInstanceError(RuntimeError):
    """No local Sieve has been started with this data directory."""


def data_dir(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser().resolve()


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only this user can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def record_instance(root: Path, url: str) -> None:
    write_private(root / INSTANCE_FILE, json.dumps({"url": url, "pid": os.getpid()}))


def forget_instance(root: Path) -> None:
    (root / INSTANCE_FILE).unlink(missing_ok=True)


def instance_url(root: Path) -> str | None:
    try:
        return json.loads((root / INSTANCE_FILE).read_text())["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def saved_api_key(root: Path) -> str | None:
    try:
        return (root / API_KEY_FILE).read_text().strip() or None
    except OSError:
        return None


def with_local_redis(settings: Settings, env: dict[str, str] | os._Environ) -> Settings:
    """`settings`, pointed at the local instance's embedded Redis unless REDIS_URL is set."""
    if env.get("REDIS_URL"):
        return settings
    address = recorded_address(data_dir(settings))
    if address is None:
        raise NoInstanceError(
            f"no local Sieve in {data_dir(settings)}: start one with `sieve up`, "
            "or set REDIS_URL (or SIEVE_DATA_DIR) to reach another"
        )
    return replace(settings, redis_url=address.url)
