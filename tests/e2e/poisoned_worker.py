"""A Sieve worker whose parser dies by SIGKILL — as an out-of-memory kill or a crash in native
code would — on every chunk that contains the bytes POISON. For the poison-chunk drill:
`celery -A tests.e2e.poisoned_worker worker`."""

from __future__ import annotations

import os
import signal

from workers import pipeline
from workers.celery_app import app

__all__ = ["app"]
_read_chunk = pipeline.read_chunk


def _read_or_die(spec: object, data: bytes, options: pipeline.ParseOptions, **flags: bool):
    if b"POISON" in data:
        os.kill(os.getpid(), signal.SIGKILL)
    return _read_chunk(spec, data, options, **flags)


pipeline.read_chunk = _read_or_die
