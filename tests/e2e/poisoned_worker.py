"""A Sieve worker whose parser dies by SIGKILL — as an out-of-memory kill or a crash in native
code would — on every chunk that contains the bytes POISON. For the poison-chunk drill:
`celery -A tests.e2e.poisoned_worker worker`."""

from __future__ import annotations

import os
import signal

from workers import pipeline
from workers.celery_app import app

__all__ = ["app"]
_parse_chunk = pipeline.parse_chunk


def _parse_or_die(data: bytes, options: pipeline.ParseOptions, **flags: bool):
    if b"POISON" in data:
        os.kill(os.getpid(), signal.SIGKILL)
    return _parse_chunk(data, options, **flags)


pipeline.parse_chunk = _parse_or_die
