"""The one typed settings object. Read once at each entry point; nothing else reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
MIB = 1024**2


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be a number, got {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_float(env, name, default))


def _parse_api_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """`acme:KEY1,globex:KEY2` -> (("acme", "KEY1"), ("globex", "KEY2"))."""
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        org, sep, key = item.partition(":")
        if not sep or not org or not key:
            raise ValueError(f"SIEVE_API_KEYS entries look like org:key, got {item!r}")
        pairs.append((org, key))
    return tuple(pairs)


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    storage_url: str = "file://./.sieve-data/blobs"  # or s3://bucket/prefix
    s3_endpoint_url: str = ""  # empty: AWS itself; set for MinIO, R2, Ceph...
    s3_region: str = ""  # empty: boto3's default chain
    secret_key: str = ""  # empty: a random secret is generated once and shared through Redis
    public_url: str = "http://127.0.0.1:8000"
    max_dataset_bytes: int = int(1.5 * GIB)
    max_org_bytes: int = 10 * GIB
    retention_days: float = 30.0
    retention_sweep_seconds: int = 3600
    chunk_bytes: int = 64 * MIB
    download_url_ttl_seconds: int = 24 * 3600
    key_prefix: str = "sieve"
    api_keys: tuple[tuple[str, str], ...] = ()
    visibility_timeout_seconds: int = 3600
    unacked_restore_seconds: int = 10
    worker_concurrency: int = 0  # 0 = one process per core
    max_chunk_attempts: int = 3
    create_rate_per_minute: int = 600  # per API key; 0 turns the limit off
    upload_idle_seconds: float = 60.0  # a read from an uploading client must bring something
    upload_min_bytes_per_second: int = 64 * 1024  # after the first upload_idle_seconds
    abandoned_upload_seconds: int = 3600  # an upload silent this long is reclaimed by beat

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            redis_url=env.get("REDIS_URL", defaults.redis_url),
            storage_url=env.get("SIEVE_STORAGE_URL", defaults.storage_url),
            s3_endpoint_url=env.get("SIEVE_S3_ENDPOINT_URL", ""),
            s3_region=env.get("SIEVE_S3_REGION", ""),
            secret_key=env.get("SIEVE_SECRET_KEY", ""),
            public_url=env.get("SIEVE_PUBLIC_URL", defaults.public_url).rstrip("/"),
            max_dataset_bytes=_int(env, "SIEVE_MAX_DATASET_BYTES", defaults.max_dataset_bytes),
            max_org_bytes=_int(env, "SIEVE_MAX_ORG_BYTES", defaults.max_org_bytes),
            retention_days=_float(env, "SIEVE_RETENTION_DAYS", defaults.retention_days),
            retention_sweep_seconds=_int(
                env, "SIEVE_RETENTION_SWEEP_SECONDS", defaults.retention_sweep_seconds
            ),
            chunk_bytes=_int(env, "SIEVE_CHUNK_BYTES", defaults.chunk_bytes),
            download_url_ttl_seconds=_int(
                env, "SIEVE_DOWNLOAD_URL_TTL", defaults.download_url_ttl_seconds
            ),
            key_prefix=env.get("SIEVE_KEY_PREFIX", defaults.key_prefix),
            api_keys=_parse_api_keys(env.get("SIEVE_API_KEYS", "")),
            visibility_timeout_seconds=_int(
                env, "SIEVE_VISIBILITY_TIMEOUT", defaults.visibility_timeout_seconds
            ),
            unacked_restore_seconds=_int(
                env, "SIEVE_UNACKED_RESTORE_SECONDS", defaults.unacked_restore_seconds
            ),
            worker_concurrency=_int(env, "SIEVE_WORKER_CONCURRENCY", 0),
            max_chunk_attempts=_int(env, "SIEVE_MAX_CHUNK_ATTEMPTS", defaults.max_chunk_attempts),
            create_rate_per_minute=_int(
                env, "SIEVE_CREATE_RATE_PER_MINUTE", defaults.create_rate_per_minute
            ),
            upload_idle_seconds=_float(
                env, "SIEVE_UPLOAD_IDLE_SECONDS", defaults.upload_idle_seconds
            ),
            upload_min_bytes_per_second=_int(
                env, "SIEVE_UPLOAD_MIN_BYTES_PER_SECOND", defaults.upload_min_bytes_per_second
            ),
            abandoned_upload_seconds=_int(
                env, "SIEVE_ABANDONED_UPLOAD_SECONDS", defaults.abandoned_upload_seconds
            ),
        )

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
