"""Round-2 regressions through real HTTP and workers: Idempotency-Key as the IETF draft has it
(409 while in flight, 422 for another request, 400 when too long), 401 with its challenge,
dates outside the comparable range, dry runs asked in the form, refused uploads that leave no
folder, and answers gunicorn itself generates are JSON too."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from urllib.parse import urlparse

import requests

from tests.e2e.conftest import wait_until

BODY = b'{"text": "once"}\n'


def _raw_create(stack, key: str, name: str, body: bytes) -> tuple[socket.socket, bytes]:
    """The create `requests` would send, byte for byte, with its last bytes held back: the
    caller sends them (or not)."""
    prepared = requests.Request(
        "POST",
        f"{stack.url}/v1/datasets",
        params={"name": name, "type": "embed-input"},
        files=_multipart(body),
        headers={**stack.headers(), "Idempotency-Key": key},
    ).prepare()
    target = urlparse(stack.url)
    head = f"POST {prepared.path_url} HTTP/1.1\r\nHost: {target.netloc}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items()) + "\r\n"
    sock = socket.create_connection((target.hostname, target.port))
    sock.sendall(head.encode() + prepared.body[:-10])
    return sock, prepared.body[-10:]


def _multipart(body: bytes) -> dict:
    return {"data": ("a.jsonl", body)}


def _create(
    stack, name: str, body: bytes, org: str = "acme", key: str = "", form: dict | None = None
) -> requests.Response:
    """POST /v1/datasets of an embed-input file, with an Idempotency-Key and form fields."""
    headers = {**stack.headers(org), **({"Idempotency-Key": key} if key else {})}
    return requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": name, "type": "embed-input"},
        files={**(form or {}), **_multipart(body)},
        headers=headers,
        timeout=60,
    )


def test_idempotency_key_in_flight_is_409_then_the_same_id(stack):
    key = f"in-flight-{uuid.uuid4().hex}"
    sock, rest = _raw_create(stack, key, "same", BODY)
    time.sleep(0.3)  # the first request is now receiving its body
    retry = _create(stack, "same", BODY, key=key)
    assert retry.status_code == 409, retry.text
    assert "still being processed" in retry.json()["message"]
    assert retry.headers["Retry-After"]
    sock.sendall(rest)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    first_id = answer.split(b'"id":"')[1].split(b'"')[0].decode()
    again = _create(stack, "same", BODY, key=key)  # now that the first request finished
    assert again.status_code == 200 and again.json()["id"] == first_id
    assert stack.wait_final(first_id)["validation_status"] == "validated"


def test_idempotency_key_for_another_request_is_422_and_a_long_key_400(stack):
    key = f"other-{uuid.uuid4().hex}"
    assert _create(stack, "first", BODY, key=key).status_code == 200
    for name, body in (("second", BODY), ("first", BODY * 3)):  # another name, another file
        other = _create(stack, name, body, key=key)
        assert other.status_code == 422, other.text
        assert "different request" in other.json()["message"]
    too_long = _create(stack, "x", BODY, key="k" * 201)
    assert too_long.status_code == 400
    assert too_long.json()["message"] == "Idempotency-Key must be at most 200 characters"


def test_401_carries_a_bearer_challenge(stack):
    missing = requests.get(f"{stack.url}/v1/datasets")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="sieve"'
    wrong = requests.get(f"{stack.url}/v1/datasets", headers={"Authorization": "Bearer nope"})
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_dates_outside_the_comparable_range_are_400(stack):
    for query in ("before=0001-01-01T00:00:00%2B05:00", "after=9999-12-31T23:59:59-05:00"):
        response = requests.get(f"{stack.url}/v1/datasets?{query}", headers=stack.headers())
        assert response.status_code == 400, (query, response.text)
        assert "outside the dates" in response.json()["message"]


def test_a_dry_run_counts_its_bytes_while_they_are_stored(stack):
    """However it is asked (query or form), a dry run's upload is stored until its verdict, so
    it reserves quota like any other: over the cap it is refused; judged, it gives it back."""
    big = b'{"text": "%s"}\n' % (b"x" * 1000)
    fills = [
        _create(stack, "fill", big * 2900, "racers"),
        _create(stack, "fill", big * 1900, "racers"),
    ]
    assert [fill.status_code for fill in fills] == [200, 200]
    try:
        dry = _create(stack, "dry", big * 1000, "racers", form={"dry_run": (None, "true")})
        assert dry.status_code == 400 and "exceeded capacity" in dry.json()["message"]
        requests.delete(
            f"{stack.url}/v1/datasets/{fills[1].json()['id']}", headers=stack.headers("racers")
        )
        usage = stack.usage("racers")
        dry = _create(stack, "dry", big * 1000, "racers", form={"dry_run": (None, "true")})
        assert dry.status_code == 200, dry.text
        assert stack.wait_final(dry.json()["id"], "racers")["validation_status"] == "validated"
        assert wait_until(lambda: stack.usage("racers") == usage)
    finally:
        for fill in fills:
            requests.delete(
                f"{stack.url}/v1/datasets/{fill.json()['id']}", headers=stack.headers("racers")
            )


def test_refused_uploads_leave_no_folder_behind(stack):
    before = {p for p in stack.storage.glob("datasets/*")}
    for body, filename in (
        (b"", "a.jsonl"),
        (b"\x1f\x8b" + bytes(40), "a.jsonl"),
        (b"text\nx\n", "a.csv"),
    ):
        response = requests.post(
            f"{stack.url}/v1/datasets",
            params={"name": "r", "type": "chat-finetune-input"},
            files={"data": (filename, body)},
            headers=stack.headers(),
            timeout=60,
        )
        assert response.status_code == 400, response.text
    assert {p for p in stack.storage.glob("datasets/*")} == before


def test_answers_gunicorn_generates_itself_are_json(stack):
    target = urlparse(stack.url)
    cases = [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", b"431"),
        (b"NOT A REQUEST LINE\r\n\r\n", b"400"),
    ]
    for raw, status in cases:
        with socket.create_connection((target.hostname, target.port)) as sock:
            sock.sendall(raw)
            answer = b""
            with contextlib.suppress(ConnectionResetError):  # closed with our bytes unread
                while chunk := sock.recv(65536):
                    answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == status, answer[:300]
        assert b"Content-Type: application/json" in head, head
        assert body.startswith(b'{"message": '), body
