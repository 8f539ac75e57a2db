"""Waiting out a Redis restart or a storage outage instead of failing at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import redis

from store.blobs import StorageUnavailableError

PATIENCE_SECONDS = 60
T = TypeVar("T")


def patiently(step: Callable[[], T], seconds: float = PATIENCE_SECONDS) -> T:
    """Run an (idempotent) step, retrying every second while Redis or the storage can't be
    reached, for up to `seconds`; then the last error is raised."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except (redis.ConnectionError, redis.TimeoutError, StorageUnavailableError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
