"""Shared fixtures: a real redis-server for integration tests, fakeredis for unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import fakeredis
import pytest

from cli.launcher import free_port, wait_for_port
from store import open_stores
from store.settings import Settings


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """A real redis-server on a free port, for the whole test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is required for integration tests (make test installs it)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
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
