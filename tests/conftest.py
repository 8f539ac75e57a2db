"""Shared fixtures: a real Redis-protocol server (the valkey-server `sieve up` runs) for
integration tests, fakeredis for unit tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fakeredis
import pytest

from cli.embedded_redis import free_port, spawn_redis_server, wait_for_port
from store import open_stores
from store.datasets import format_timestamp, utc_now
from store.records import DatasetOptions, DatasetRecord, Status, StoredFile
from store.settings import Settings


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """A real valkey-server on a free port, for the whole test session; each stack or
    deployment takes a database of its own (tests/e2e/conftest.fresh_database)."""
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = spawn_redis_server(port, directory, durable=False, databases=1024)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory):
    """A real S3 endpoint over HTTP (moto's server), for the S3 storage tests; yields the
    environment a Sieve process needs to reach it."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("s3") / "moto.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, timeout=30)
    yield {
        "SIEVE_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "SIEVE_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "sieve-test",
        "AWS_SECRET_ACCESS_KEY": "sieve-test-secret",
    }
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def make_stores(tmp_path: Path):
    """Stores over fakeredis and a temp directory (fast unit tests)."""

    def factory(**overrides):
        settings = Settings(
            redis_url="redis://fake",
            storage_url=f"file://{tmp_path / 'blobs'}",
            secret_key="test-secret",
            **overrides,
        )
        return open_stores(settings, client=fakeredis.FakeRedis(decode_responses=True))

    return factory


def queued_record(dataset_id: str, org: str = "acme", size: int = 10, **extra) -> DatasetRecord:
    """A dataset record as the API writes it at create, with `extra` fields over it."""
    now = format_timestamp(extra.pop("at", utc_now()))
    options = DatasetOptions.from_dict(extra.pop("options", {}))
    files = {role: StoredFile.from_dict(f) for role, f in extra.pop("files", {}).items()}
    return DatasetRecord(
        id=dataset_id,
        org=org,
        name=dataset_id,
        dataset_type=extra.pop("dataset_type", "embed-input"),
        status=Status(extra.pop("status", Status.QUEUED)),
        created_at=now,
        updated_at=now,
        usage_bytes=size,
        options=options,
        files=files,
        **extra,
    )
