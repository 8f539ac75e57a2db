"""Fuzzing the chunk parsers: for any bytes at all — broken UTF-8, NULs, BOMs, compression
magic, NaN, duplicate keys, stray quotes and line ends — the verdict, error and warnings are
the same whether the file is read as one chunk or cut into chunks of any size."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.validators.simulate import validate

TOKENS = [
    b'{"text": "a"}',
    b'{"text": "b", "lang": "en"}',
    b'{"text": ""}',
    b'{"text": 5}',
    b'{"text": "a", "text": "b"}',
    b'{"text": NaN}',
    b'{"text": "x", "n": Infinity}',
    b'{"text": "x", "n": 123456789012345678901234567890123456789}',
    b'[{"text": "a"}]',
    b'{"text": "\\u00e9"}',
    b'{"text": "d", "x": ' + b"[" * 70 + b"]" * 70 + b"}",
    b'{"text": "d", "lang": ' + b"[" * 70 + b"]" * 70 + b"}",
    b'{"text": "caf\xc3\xa9"}',
    b"\xff\xfe",
    b"\xc3",
    b"\x00",
    b"\xef\xbb\xbf",
    b"x\x9c",
    b"\x1f\x8b",
    b"x^2",
    b'"',
    b"'",
    b",",
    b";",
    b"\t",
    b"text",
    b"hello",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b" ",
    b"\r",
    b"\r\n",
    b"\n",
    b"\n",
    b"\n",
]
files = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map(b"".join)


def _outcome(fmt: str, data: bytes, chunk_bytes: int, keep: tuple, skip: bool) -> tuple:
    verdict, rows = validate(
        "embed-input", {"train": (fmt, data)}, chunk_bytes, skip=skip, optional=keep
    )
    kept = rows["train"] if verdict.status == "validated" else None  # else nothing is kept
    return verdict.status, verdict.error, tuple(verdict.warnings), kept


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["jsonl", "csv", "txt"]),
    body=files,
    chunk_bytes=st.integers(1, 64),
    keep=st.sampled_from([(), ("lang",), ("n",)]),
    skip=st.booleans(),
)
def test_any_bytes_get_the_same_verdict_in_any_chunking(fmt, body, chunk_bytes, keep, skip):
    data = (b"text\n" + body) if fmt == "csv" else body
    chunked = _outcome(fmt, data, chunk_bytes, keep, skip)
    whole = _outcome(fmt, data, 1 << 30, keep, skip)
    assert chunked == whole, (fmt, data, chunk_bytes, keep, skip)
