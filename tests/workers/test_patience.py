"""Steps wait out a Redis restart or a storage outage instead of failing the dataset."""

from __future__ import annotations

import pytest
import redis

from store import patience
from store.blobs import StorageUnavailableError


@pytest.mark.parametrize(
    "outage", [redis.ConnectionError("restarting"), StorageUnavailableError("bucket unreachable")]
)
def test_a_step_is_retried_through_a_short_outage(monkeypatch, outage):
    monkeypatch.setattr(patience.time, "sleep", lambda _: None)
    calls = []

    def step() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise outage
        return "done"

    assert patience.patiently(step) == "done"
    assert len(calls) == 4


def test_a_long_outage_is_raised_for_the_task_to_handle(monkeypatch):
    clock = iter(range(0, 10_000, 30))
    monkeypatch.setattr(patience.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(patience.time, "sleep", lambda _: None)

    def step() -> None:
        raise StorageUnavailableError("still down")

    with pytest.raises(StorageUnavailableError):
        patience.patiently(step)


def test_a_bug_is_not_waited_out():
    def step() -> None:
        raise KeyError("a real bug")

    with pytest.raises(KeyError):
        patience.patiently(step)
