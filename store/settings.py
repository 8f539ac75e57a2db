"""The one typed settings object. Read once at each entry point; nothing else reads os.environ.

Each field names its environment variable and its parser in the field's metadata, so reading,
checking and documenting the settings (docs/settings.md's table is checked against
`ENVIRONMENT`) all come from this one declaration. A bad value is one `SettingError` line
naming the variable, the value and what is expected.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

GIB = 1024**3
MIB = 1024**2
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "k": 1024,
    "kib": 1024,
    "m": MIB,
    "mib": MIB,
    "g": GIB,
    "gib": GIB,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$")


class SettingError(ValueError):
    """A setting's value can't be used; the message is one line meant for a person."""

    def __init__(self, variable: str, value: str, expected: str) -> None:
        super().__init__(f"{variable}={value!r} is not valid: expected {expected}")
        self.variable = variable


def parse_size(text: str) -> int:
    """`1610612736`, `1.5GiB`, `10GB`, `500MB`, `64 MiB` -> bytes (GB = 1000³, GiB = 1024³)."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(size: float) -> str:
    """Bytes for people: `812 B`, `4.0 KiB`, `52.1 MiB`, `1.50 GiB` (parse_size reads them)."""
    if size >= GIB:
        return f"{size / GIB:.2f} GiB"
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    return f"{size / 1024:.1f} KiB" if size >= 1024 else f"{int(size)} B"


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


def _whole(text: str) -> int:
    value = _number(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


def _text(text: str) -> str:
    return text


def _url(text: str) -> str:
    return text.rstrip("/")


def _storage_url(text: str) -> str:
    if not text.startswith(("file://", "s3://")) or text in ("file://", "s3://"):
        raise ValueError(text)
    return text


def _worker_class(text: str) -> str:
    if text not in ("gevent", "gthread"):
        raise ValueError(text)
    return text


def _api_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """`acme:KEY1,globex:KEY2` -> (("acme", "KEY1"), ("globex", "KEY2"))."""
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        org, sep, key = item.partition(":")
        if not sep or not org or not key:
            raise ValueError(item)
        pairs.append((org, key))
    return tuple(pairs)


def _flag(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(text)
    return lowered in ("true", "1", "yes")


def _delays(text: str) -> tuple[float, ...]:
    """`5,300,1800` -> (5.0, 300.0, 1800.0): seconds before each retry."""
    return tuple(_number(item) for item in text.split(",") if item.strip())


def _tokenizer_file(text: str) -> str:
    """A tokenizer.json that exists (checked at start, not at the first upload)."""
    if text and not Path(text).is_file():
        raise ValueError(text)
    return text


_EXPECTED: dict[Callable[[str], Any], str] = {
    parse_size: "a size: bytes, or a number with a unit (10GB, 1.5GiB, 500MB)",
    _number: "a number of 0 or more",
    _whole: "a whole number of 0 or more",
    _storage_url: "file://DIRECTORY or s3://BUCKET/PREFIX",
    _worker_class: "gevent or gthread",
    _api_keys: "org:key pairs separated by commas (acme:KEY1,globex:KEY2)",
    _tokenizer_file: "the path of a tokenizer.json file that exists",
    _flag: "true or false",
    _delays: "seconds before each retry, separated by commas (5,300,1800)",
}


def _env(name: str, parse: Callable[[str], Any] = _text) -> dict[str, Any]:
    return {"env": name, "parse": parse}


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return os.path.join(base, "sieve")


@dataclass(frozen=True)
class Settings:
    redis_url: str = field(default="redis://127.0.0.1:6379/0", metadata=_env("REDIS_URL"))
    storage_url: str = field(
        default="file://./.sieve-data/blobs", metadata=_env("SIEVE_STORAGE_URL", _storage_url)
    )
    s3_endpoint_url: str = field(default="", metadata=_env("SIEVE_S3_ENDPOINT_URL"))
    s3_region: str = field(default="", metadata=_env("SIEVE_S3_REGION"))
    secret_key: str = field(default="", metadata=_env("SIEVE_SECRET_KEY"))
    public_url: str = field(
        default="http://127.0.0.1:8000", metadata=_env("SIEVE_PUBLIC_URL", _url)
    )
    max_dataset_bytes: int = field(
        default=int(1.5 * GIB), metadata=_env("SIEVE_MAX_DATASET_BYTES", parse_size)
    )
    max_org_bytes: int = field(default=10 * GIB, metadata=_env("SIEVE_MAX_ORG_BYTES", parse_size))
    retention_days: float = field(default=30.0, metadata=_env("SIEVE_RETENTION_DAYS", _number))
    retention_sweep_seconds: int = field(
        default=3600, metadata=_env("SIEVE_RETENTION_SWEEP_SECONDS", _whole)
    )
    chunk_bytes: int = field(default=64 * MIB, metadata=_env("SIEVE_CHUNK_BYTES", parse_size))
    download_url_ttl_seconds: int = field(
        default=24 * 3600, metadata=_env("SIEVE_DOWNLOAD_URL_TTL", _whole)
    )
    key_prefix: str = field(default="sieve", metadata=_env("SIEVE_KEY_PREFIX"))
    api_keys: tuple[tuple[str, str], ...] = field(
        default=(), metadata=_env("SIEVE_API_KEYS", _api_keys)
    )
    visibility_timeout_seconds: int = field(
        default=3600, metadata=_env("SIEVE_VISIBILITY_TIMEOUT", _whole)
    )
    unacked_restore_seconds: int = field(
        default=10, metadata=_env("SIEVE_UNACKED_RESTORE_SECONDS", _whole)
    )
    worker_concurrency: int = field(  # 0 = one process per core
        default=0, metadata=_env("SIEVE_WORKER_CONCURRENCY", _whole)
    )
    max_chunk_attempts: int = field(default=3, metadata=_env("SIEVE_MAX_CHUNK_ATTEMPTS", _whole))
    create_rate_per_minute: int = field(  # per API key; 0 turns the limit off
        default=600, metadata=_env("SIEVE_CREATE_RATE_PER_MINUTE", _whole)
    )
    upload_idle_seconds: float = field(  # a read from an uploading client must bring something
        default=60.0, metadata=_env("SIEVE_UPLOAD_IDLE_SECONDS", _number)
    )
    upload_min_bytes_per_second: int = field(  # after the first upload_idle_seconds
        default=64 * 1024, metadata=_env("SIEVE_UPLOAD_MIN_BYTES_PER_SECOND", parse_size)
    )
    abandoned_upload_seconds: int = field(  # an upload silent this long is reclaimed by beat
        default=3600, metadata=_env("SIEVE_ABANDONED_UPLOAD_SECONDS", _whole)
    )
    upload_expiry_seconds: int = field(  # an unfinished resumable upload is removed then
        default=24 * 3600, metadata=_env("SIEVE_UPLOAD_EXPIRY_SECONDS", _whole)
    )
    max_open_uploads: int = field(  # resumable uploads an organization may have open at once
        default=100, metadata=_env("SIEVE_MAX_OPEN_UPLOADS", _whole)
    )
    stall_seconds: float = field(  # an unfinished dataset quiet this long is driven again
        default=30.0, metadata=_env("SIEVE_STALL_SECONDS", _number)
    )
    outage_patience_seconds: float = field(  # a task waits out Redis/storage this long
        default=60.0, metadata=_env("SIEVE_OUTAGE_PATIENCE_SECONDS", _number)
    )
    # The processes (`sieve web`, `sieve worker`, `sieve beat`, `sieve up`).
    host: str = field(default="0.0.0.0", metadata=_env("HOST"))  # sieve up: 127.0.0.1
    port: int = field(default=8000, metadata=_env("PORT", _whole))
    web_concurrency: int = field(  # 0 = min(4, cores)
        default=0, metadata=_env("WEB_CONCURRENCY", _whole)
    )
    web_worker_class: str = field(
        default="gevent", metadata=_env("WEB_WORKER_CLASS", _worker_class)
    )
    web_threads: int = field(default=8, metadata=_env("WEB_THREADS", _whole))
    web_timeout: int = field(default=600, metadata=_env("WEB_TIMEOUT", _whole))
    web_graceful_timeout: int = field(default=60, metadata=_env("WEB_GRACEFUL_TIMEOUT", _whole))
    worker_max_memory_kb: int = field(
        default=2_000_000, metadata=_env("WORKER_MAX_MEMORY_KB", _whole)
    )
    beat_schedule: str = field(
        default="/tmp/sieve-celerybeat-schedule", metadata=_env("SIEVE_BEAT_SCHEDULE")
    )
    data_dir: str = field(default_factory=_default_data_dir, metadata=_env("SIEVE_DATA_DIR"))
    max_searches_per_org: int = field(
        default=4, metadata=_env("SIEVE_MAX_SEARCHES_PER_ORG", _whole)
    )  # row searches an organization may run at once (429 beyond)
    search_seconds: float = field(default=2.0, metadata=_env("SIEVE_SEARCH_SECONDS", _number))
    # Prometheus: the folder a host's web and worker processes share for their figures ("":
    # a private one per process tree), the bearer token GET /metrics asks for ("": none),
    # and the port a worker host serves its own figures on (0: none).
    metrics_dir: str = field(default="", metadata=_env("SIEVE_METRICS_DIR"))
    metrics_token: str = field(default="", metadata=_env("SIEVE_METRICS_TOKEN"))
    worker_metrics_port: int = field(default=0, metadata=_env("SIEVE_WORKER_METRICS_PORT", _whole))
    # A Hugging Face tokenizer.json that counts tokens ("": the one the anthropic package
    # ships, Claude's; Cohere publishes one per model), and Cohere's chat limits.
    tokenizer: str = field(default="", metadata=_env("SIEVE_TOKENIZER", _tokenizer_file))
    max_turn_tokens: int = field(default=16_384, metadata=_env("SIEVE_MAX_TURN_TOKENS", _whole))
    max_preamble_tokens: int = field(
        default=2_048, metadata=_env("SIEVE_MAX_PREAMBLE_TOKENS", _whole)
    )
    # Webhooks: the delays before each retry of a failed delivery (about a day in all), how
    # long a receiver has to answer, whether private and loopback addresses may be targets,
    # and how many endpoints an organization may have.
    webhook_retry_schedule: tuple[float, ...] = field(
        default=(5, 300, 1800, 7200, 18000, 36000, 36000),
        metadata=_env("SIEVE_WEBHOOK_RETRY_SCHEDULE", _delays),
    )
    webhook_timeout_seconds: float = field(
        default=15.0, metadata=_env("SIEVE_WEBHOOK_TIMEOUT", _number)
    )
    webhook_allow_private: bool = field(
        default=False, metadata=_env("SIEVE_WEBHOOK_ALLOW_PRIVATE", _flag)
    )
    max_webhooks_per_org: int = field(
        default=20, metadata=_env("SIEVE_MAX_WEBHOOKS_PER_ORG", _whole)
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from `env` (default: os.environ); unset or blank variables keep defaults."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in fields(cls):
            name, parse = setting.metadata["env"], setting.metadata["parse"]
            raw = env.get(name)
            if raw is None or (raw.strip() == "" and parse is not _text):
                continue
            try:
                values[setting.name] = parse(raw.strip() if parse is not _text else raw)
            except ValueError as exc:
                raise SettingError(name, raw, _EXPECTED.get(parse, "a valid value")) from exc
        return cls(**values)

    @property
    def storage_root(self) -> Path:
        """Directory of a `file://` storage URL (relative paths allowed: file://./data)."""
        if not self.storage_url.startswith("file://"):
            raise ValueError(f"unsupported SIEVE_STORAGE_URL {self.storage_url!r}")
        return Path(self.storage_url.removeprefix("file://")).resolve()

    @property
    def s3_location(self) -> tuple[str, str]:
        """(bucket, key prefix) of an `s3://bucket/prefix` storage URL."""
        if not self.storage_url.startswith("s3://"):
            raise ValueError(f"not an s3:// storage URL: {self.storage_url!r}")
        bucket, _, prefix = self.storage_url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"SIEVE_STORAGE_URL names no bucket: {self.storage_url!r}")
        return bucket, prefix.strip("/")


ENVIRONMENT = tuple(setting.metadata["env"] for setting in fields(Settings))
