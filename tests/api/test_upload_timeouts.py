"""The idle and rate rules on request bodies, over a real socket pair (no server needed)."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest

from api.errors import ApiError
from api.upload_timeouts import guarded_body


def test_a_body_that_keeps_coming_reads_whole():
    server, client = socket.socketpair()

    def send() -> None:
        client.sendall(b"x" * 300_000)
        client.shutdown(socket.SHUT_WR)

    threading.Thread(target=send, daemon=True).start()
    environ = {"gunicorn.socket": server}
    with guarded_body(server.makefile("rb"), environ, 1.0, 1024) as body:
        assert len(body.read(1024 * 1024)) == 300_000
        assert body.read(10) == b""
    assert server.gettimeout() is None  # the socket is left as it was found


def test_silence_is_a_408_stall_after_the_idle_seconds():
    server, client = socket.socketpair()
    client.sendall(b"x" * 10)
    started = time.monotonic()
    with (
        guarded_body(server.makefile("rb"), {"gunicorn.socket": server}, 0.3, 1) as body,
        pytest.raises(ApiError) as raised,
    ):
        body.read(1024)
    assert raised.value.status == 408
    assert raised.value.message == "the upload stalled: nothing arrived for 0.3 s"
    assert 0.25 < time.monotonic() - started < 2
    assert body.read(10) == b""  # cleanup after the failure never blocks


def test_a_trickle_below_the_minimum_rate_is_cut_off():
    server, client = socket.socketpair()
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            try:
                client.sendall(b"x")
            except OSError:
                return
            time.sleep(0.05)  # never idle for 0.5 s, but 20 bytes/s

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    try:
        with (
            guarded_body(server.makefile("rb"), {"gunicorn.socket": server}, 0.5, 1024) as body,
            pytest.raises(ApiError) as raised,
        ):
            body.read(1024 * 1024)
    finally:
        stop.set()
    assert raised.value.status == 408
    assert "too slow: it must keep up at least 1 KiB/s (after the first 0.5 s)" in (
        raised.value.message
    )
    assert time.monotonic() - started < 3


def test_a_broken_connection_is_a_400():
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise ConnectionResetError(104, "Connection reset by peer")

    with guarded_body(Broken(), {}, 1.0, 1024) as body, pytest.raises(ApiError) as raised:
        body.read(100)
    assert (raised.value.status, raised.value.message) == (
        400,
        "the connection broke before the upload was complete",
    )
