"""Cut off request bodies that stall or trickle, so a slow (or hostile) client can't hold a web
thread for ever.

Two rules, as in Apache's mod_reqtimeout:

- idle: every read from the client socket must bring something within
  `SIEVE_UPLOAD_IDLE_SECONDS` (a socket timeout, so a stalled client is noticed at once);
- rate: the body must keep up with `SIEVE_UPLOAD_MIN_BYTES_PER_SECOND` after a head start of
  the same idle seconds — the deadline is `start + idle + received / min_rate`. A client that
  sends one byte just before every idle timeout passes the first rule but not this one. A
  process-wide watchdog thread enforces it by shutting the socket's read side, which wakes the
  blocked read.

Either way the reader raises `ApiError(408)`; a connection that broke (reset by the client)
raises `ApiError(400)`. After the first failure the stream reads as empty, so the callers'
cleanup (discard, drain) never blocks or raises again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import BinaryIO

from flask import Request

from api.errors import ApiError
from store.settings import Settings

WATCHDOG_TICK_SECONDS = 0.25


class _Watchdog:
    """One daemon thread per process that cuts off bodies past their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, GuardedBody] = {}
        self._thread: threading.Thread | None = None

    def watch(self, body: GuardedBody) -> None:
        with self._lock:
            self._watched[id(body)] = body
            if self._thread is None or not self._thread.is_alive():  # lazily: after any fork
                self._thread = threading.Thread(
                    target=self._run, name="upload-watchdog", daemon=True
                )
                self._thread.start()

    def forget(self, body: GuardedBody) -> None:
        with self._lock:
            self._watched.pop(id(body), None)

    def _run(self) -> None:
        while True:
            time.sleep(WATCHDOG_TICK_SECONDS)
            now = time.monotonic()
            with self._lock:  # held while cutting: once forget() returns, the socket is safe
                for body in self._watched.values():
                    if body.deadline() < now:
                        body.cut_off()


_watchdog = _Watchdog()


class GuardedBody:
    """A request body stream with the idle and rate rules applied (see the module docstring)."""

    def __init__(
        self,
        stream: BinaryIO,
        client: socket.socket | None,
        idle_seconds: float,
        min_bytes_per_second: float,
    ) -> None:
        self._stream = stream
        self._client = client
        self._idle_seconds = idle_seconds
        self._min_rate = min_bytes_per_second
        self._started = time.monotonic()
        self._received = 0
        self._too_slow = False
        self._finished = False

    def deadline(self) -> float:
        if self._min_rate <= 0:
            return float("inf")
        return self._started + self._idle_seconds + self._received / self._min_rate

    def cut_off(self) -> None:
        """Called by the watchdog: wake the blocked read with end-of-stream (once)."""
        if self._too_slow:
            return
        self._too_slow = True
        if self._client is not None:
            with suppress(OSError):  # already closed by the client
                self._client.shutdown(socket.SHUT_RD)

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes. The received count the watchdog judges by moves once per read,
        so it lags the socket by at most one read (256 KiB to 4 MiB, see api.uploads.ReadPace;
        the big ones only while the client is fast, whose lead over the minimum rate absorbs
        the lag, as the head start of idle-seconds × min-rate does for the small ones)."""
        if self._finished:
            return b""
        try:
            block = self._stream.read(size)
        except TimeoutError as exc:
            self._finished = True
            raise ApiError(
                408, f"the upload stalled: nothing arrived for {self._idle_seconds:g} s"
            ) from exc
        except OSError as exc:
            self._finished = True
            if self._too_slow:  # under gevent, the watchdog's shutdown wakes the read so
                raise self._too_slow_error() from exc
            raise ApiError(400, "the connection broke before the upload was complete") from exc
        if self._too_slow:
            self._finished = True
            raise self._too_slow_error()
        self._received += len(block)
        return block

    def _too_slow_error(self) -> ApiError:
        return ApiError(
            408,
            "the upload was too slow: it must keep up at least "
            f"{self._min_rate / 1024:g} KiB/s (after the first {self._idle_seconds:g} s)",
        )


def _client_socket(environ: dict) -> socket.socket | None:
    """The client's socket, where the WSGI server exposes it (gunicorn, werkzeug)."""
    for key in ("gunicorn.socket", "werkzeug.socket"):
        candidate = environ.get(key)
        if isinstance(candidate, socket.socket):
            return candidate
    return None


@contextmanager
def guarded_body(
    stream: BinaryIO, environ: dict, idle_seconds: float, min_bytes_per_second: float
) -> Iterator[GuardedBody]:
    """The request body under the idle and rate rules, for the duration of the block."""
    client = _client_socket(environ)
    previous_timeout = client.gettimeout() if client is not None else None
    if client is not None and idle_seconds > 0:
        client.settimeout(idle_seconds)
    body = GuardedBody(stream, client, idle_seconds, min_bytes_per_second)
    _watchdog.watch(body)
    try:
        yield body
    finally:
        _watchdog.forget(body)
        if client is not None:
            with suppress(OSError):  # the socket is gone already
                client.settimeout(previous_timeout)


def guarded_request_body(request: Request, settings: Settings) -> AbstractContextManager:
    """`guarded_body` over a Flask request, with the deployment's upload settings."""
    return guarded_body(
        request.stream,
        request.environ,
        settings.upload_idle_seconds,
        settings.upload_min_bytes_per_second,
    )
