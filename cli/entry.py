"""The `sieve` console script. `sieve web` under gevent must patch the standard library before
anything imports ssl, sockets or threads (gevent's rule), so that happens here, before any
other import — even of the settings (the `store` package imports redis, which imports ssl)."""

from __future__ import annotations

import os
import sys


def main() -> int:
    # WEB_WORKER_CLASS is checked properly by store.settings once `sieve web` reads its settings
    if sys.argv[1:2] == ["web"] and os.environ.get("WEB_WORKER_CLASS", "gevent") == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from cli.main import main as run

    return run()
