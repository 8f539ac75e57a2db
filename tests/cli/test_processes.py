"""The command lines `sieve worker` gives Celery."""

from __future__ import annotations

import os

from cli.processes import worker_arguments
from store.settings import Settings


def test_each_worker_process_has_a_node_name_of_its_own():
    arguments = worker_arguments(Settings(redis_url="redis://fake"))
    assert f"--hostname=worker.{os.getpid()}@%h" in arguments


def test_a_node_name_given_is_kept():
    for given in (["-n", "a@%h"], ["--hostname", "a@%h"], ["--hostname=a@%h"]):
        arguments = worker_arguments(Settings(redis_url="redis://fake"), given)
        assert arguments[-len(given) :] == given
        assert not any(arg.startswith("--hostname=worker.") for arg in arguments)
