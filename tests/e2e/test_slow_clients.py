"""Clients that send their request headers slowly (slowloris) can't starve the web tier: with
200 of them trickling a header line every half second, normal requests keep their latency."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlparse

import requests

SLOW_CONNECTIONS = 200


def test_200_slow_header_connections_leave_normal_requests_under_a_second(stack):
    target = urlparse(stack.url)
    slow = []
    for _ in range(SLOW_CONNECTIONS):
        sock = socket.create_connection((target.hostname, target.port))
        sock.sendall(b"GET /v1/datasets HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow: 1\r\n")
            stop.wait(0.5)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    latencies = []
    try:
        time.sleep(1)
        for _ in range(50):
            started = time.monotonic()
            response = requests.get(
                f"{stack.url}/v1/datasets?limit=1", headers=stack.headers(), timeout=10
            )
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200
        alive = sum(1 for sock in slow if sock.fileno() != -1)
    finally:
        stop.set()
        trickler.join(timeout=5)
        for sock in slow:
            sock.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 <= 1.0, latencies
    assert alive == SLOW_CONNECTIONS  # they were held open all along, not refused
