"""Row searches that starve no one: run on a real thread, off the web process's event loop
(polars leaves the GIL while it scans, so the loop keeps answering everyone else), at most
SIEVE_MAX_SEARCHES_PER_ORG at once per organization across every web process (429 beyond), and
within one budget (SIEVE_SEARCH_SECONDS) that counts the wait for a thread as well as the
search: a search that ran out of time answers what it found, `partial: true`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from api.errors import ApiError
from store import Stores

SEARCH_THREADS = 2  # per web process: searching is CPU work, more threads than cores buy nothing
T = TypeVar("T")
_pool: Any = None


def run_search(stores: Stores, org: str, search: Callable[[float], T]) -> T:
    """`search(deadline)` on a search thread, in one of the organization's slots."""
    deadline = time.monotonic() + stores.settings.search_seconds
    token = stores.searches.take(org)
    if token is None:
        limit = stores.settings.max_searches_per_org
        raise ApiError(
            429,
            f"this organization runs {limit} searches already: retry in a second",
            {"Retry-After": "1"},
        )
    try:
        return off_the_event_loop(search, deadline)
    finally:
        stores.searches.give_back(org, token)


def off_the_event_loop(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` on an OS thread of a small pool under gevent (a greenlet would hold
    the loop); as it is elsewhere (a gthread worker or a test client is a thread already)."""
    from gevent import monkey

    if not monkey.is_module_patched("threading"):
        return function(*args)
    global _pool
    if _pool is None:  # made after the fork, in the process that uses it
        from gevent.threadpool import ThreadPool

        _pool = ThreadPool(SEARCH_THREADS)
    return _pool.apply(function, args)
