"""Clients that go away or crawl, over raw sockets against the real gunicorn + Celery stack:
a 200 MB upload cut off halfway (closed or reset), a stalled body, a trickled body. Each ends
with a clear answer where the client is still there to read one, and with nothing stored,
nothing counted and no record."""

from __future__ import annotations

import select
import socket
import struct
import time

import pytest

from tests.e2e.conftest import Stack, open_raw_upload, start_stack, wait_until

MIB = 1024 * 1024
IDLE_SECONDS = 2
MIN_RATE = 256 * 1024
LINE = b'{"text": "' + b"x" * 90 + b'"}\n'


@pytest.fixture(scope="module")
def impatient(redis_server, tmp_path_factory):
    """Default size limits (1.5 GB), short upload timeouts."""
    started = start_stack(
        redis_server,
        tmp_path_factory.mktemp("impatient"),
        SIEVE_UPLOAD_IDLE_SECONDS=str(IDLE_SECONDS),
        SIEVE_UPLOAD_MIN_BYTES_PER_SECOND=str(MIN_RATE),
    )
    yield started
    started.stop()


def _open_upload(stack: Stack, declared_bytes: int) -> socket.socket:
    return open_raw_upload(stack.url, stack.headers()["Authorization"], declared_bytes)


def _answer(sock: socket.socket, timeout: float = 30) -> bytes:
    """Everything the server says until it closes the connection (or the JSON body ends)."""
    sock.settimeout(timeout)
    answer = b""
    while not answer.endswith(b"}\n") and not answer.endswith(b"}"):
        try:
            received = sock.recv(65536)
        except ConnectionResetError:
            break
        if not received:
            break
        answer += received
    return answer


def _in_flight_bytes(stack: Stack) -> int:
    """Bytes stored for uploads under way: segments being written and those sealed."""
    stored = [*stack.storage.glob(".tmp/*.part"), *stack.storage.glob("datasets/*/upload/*/*")]
    return sum(p.stat().st_size for p in stored if p.is_file())


def _assert_nothing_left(stack: Stack, usage: int, listed: list[str]) -> None:
    assert wait_until(lambda: stack.uploaded_files() == []), stack.uploaded_files()
    assert wait_until(lambda: stack.usage() == usage), (stack.usage(), usage)
    assert [d["id"] for d in stack.list()] == listed


def _log(stack: Stack) -> str:
    return (stack.storage.parent / "stack.log").read_text(errors="replace")


@pytest.mark.parametrize("how", ["closed", "reset"])
def test_a_200_mb_upload_cut_off_halfway_leaves_nothing(impatient, how):
    stack = impatient
    usage, listed = stack.usage(), [d["id"] for d in stack.list()]
    sock = _open_upload(stack, 200 * MIB)
    half = LINE * (100 * MIB // len(LINE))
    sock.sendall(half)
    # the server is storing it and holding quota for it...
    assert wait_until(lambda: _in_flight_bytes(stack) >= 90 * MIB), _in_flight_bytes(stack)
    assert stack.usage() >= usage + 75 * MIB  # reserved in steps of 1/32 of the body
    if how == "closed":  # ...when the client stops sending and waits for an answer
        sock.shutdown(socket.SHUT_WR)
        answer = _answer(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
        assert b"the upload ended before the multipart body was complete" in answer
    else:  # ...or vanishes with a TCP reset
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    _assert_nothing_left(stack, usage, listed)
    assert "unhandled error" not in _log(stack)


def test_a_stalled_upload_is_answered_408_and_leaves_nothing(impatient):
    stack = impatient
    usage, listed = stack.usage(), [d["id"] for d in stack.list()]
    sock = _open_upload(stack, 10 * MIB)
    sock.sendall(LINE * 26_000)  # 2.5 MB, well ahead of the minimum rate; then silence
    started = time.monotonic()
    answer = _answer(sock)
    waited = time.monotonic() - started
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"the upload stalled: nothing arrived for 2 s" in answer
    assert IDLE_SECONDS - 0.5 < waited < IDLE_SECONDS + 5, waited
    _assert_nothing_left(stack, usage, listed)


def test_a_trickled_upload_is_cut_off_at_the_minimum_rate(impatient):
    stack = impatient
    usage, listed = stack.usage(), [d["id"] for d in stack.list()]
    sock = _open_upload(stack, 10 * MIB)
    started = time.monotonic()
    answer = b""
    while time.monotonic() - started < 30:  # 2 KiB/s: never idle for 2 s, far below 256 KiB/s
        try:
            sock.sendall(b"x" * 1024)
        except OSError:
            break  # the server has hung up: its answer is waiting
        readable, _, _ = select.select([sock], [], [], 0.5)
        if readable:
            break
    answer = _answer(sock)
    took = time.monotonic() - started
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"the upload was too slow: it must keep up at least 256 KiB/s" in answer
    assert took < IDLE_SECONDS + 5, took  # cut off at the deadline, not left to trickle on
    _assert_nothing_left(stack, usage, listed)


def test_the_web_tier_still_serves_after_the_slow_clients(impatient):
    response = impatient.create({"data": ("a.jsonl", LINE * 100)}, "after")
    assert response.status_code == 200, response.text
    assert impatient.wait_final(response.json()["id"])["validation_status"] == "validated"
