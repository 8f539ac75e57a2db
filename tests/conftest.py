"""Shared fixtures: a real redis-server for integration tests, fakeredis for unit tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import fakeredis
import pytest

from cli.launcher import free_port, spawn_redis_server
from store import open_stores
from store.settings import Settings


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """A real redis-server on a free port, for the whole test session."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is required for integration tests (make test installs it)")
    port = free_port()
    process = spawn_redis_server(port, tmp_path_factory.mktemp("redis"), durable=False)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


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
