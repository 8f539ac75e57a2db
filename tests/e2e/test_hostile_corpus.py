"""A generated hostile corpus: for every dataset type and every format it accepts, a valid
file is bent in each way below — encodings, numbers, nesting, size, structure — and sent
through real HTTP and workers. Each has its expected outcome: a 4xx JSON error at upload,
`failed` naming the file and row, or `validated`; never a 5xx, a hang, an "internal error"
for a data problem, or `validated` for an invalid file."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import pytest
import requests

from tests.validators.simulate import as_csv, jsonl
from tests.validators.test_types import valid_rows
from validators.registry import spec_for, supported_types

BOM = b"\xef\xbb\xbf"
Bend = Callable[[bytes, str], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _second_row(data: bytes, fmt: str, change: Callable[[bytes], bytes]) -> bytes:
    """Apply `change` to the second record line (the first data row of a CSV is its line 2)."""
    lines = _lines(data)
    lines[2 if fmt == "csv" else 1] = change(lines[2 if fmt == "csv" else 1])
    return b"\n".join(lines)


SECOND = "row 2 of the train file"
# name -> (bend, formats it applies to, expected: status code or (status, text))
BENDS: dict[str, tuple[Bend, tuple[str, ...], object]] = {
    "as-is": (lambda d, f: d, ("jsonl", "csv"), ("validated", "")),
    "bom-at-start": (lambda d, f: BOM + d, ("jsonl", "csv"), ("validated", "")),
    "crlf-line-ends": (lambda d, f: d.replace(b"\n", b"\r\n"), ("jsonl", "csv"), ("validated", "")),
    "bom-mid-file": (
        lambda d, f: _second_row(d, f, lambda r: BOM + r),
        ("jsonl",),
        ("failed", "row 2 of the train file: is not valid JSON"),
    ),
    "nul-byte": (
        lambda d, f: _second_row(d, f, lambda r: r[:3] + b"\x00" + r[3:]),
        ("jsonl", "csv"),
        ("failed", f"{SECOND}: contains a NUL byte"),
    ),
    "invalid-utf8": (
        lambda d, f: _second_row(d, f, lambda r: r[:3] + b"\xff" + r[3:]),
        ("jsonl", "csv"),
        ("failed", f"{SECOND}: is not valid UTF-8"),
    ),
    "utf16-le": (  # refused at upload, naming the encoding
        lambda d, f: d.decode().encode("utf-16-le"),
        ("jsonl", "csv"),
        400,
    ),
    "latin1-accent": (
        lambda d, f: _second_row(d, f, lambda r: r.replace(b"1", b"\xe9", 1)),
        ("jsonl", "csv"),
        ("failed", f"{SECOND}: is not valid UTF-8"),
    ),
    "lone-cr-between-rows": (
        lambda d, f: _second_row(d, f, lambda r: r + b"\r" + r),
        ("jsonl",),
        ("failed", f"{SECOND}: is not valid JSON"),
    ),
    "cr-as-whitespace": (  # JSON allows CR as whitespace around a value
        lambda d, f: _second_row(d, f, lambda r: r + b"\r\r"),
        ("jsonl",),
        ("validated", ""),
    ),
    "blank-line": (
        lambda d, f: _second_row(d, f, lambda r: b""),
        ("jsonl",),
        ("failed", f"{SECOND}: is empty"),
    ),
    "truncated-last-row": (
        lambda d, f: d.rstrip(b"\n")[:-3],
        ("jsonl",),
        ("failed", "is not valid JSON"),
    ),
    "gzip": (lambda d, f: gzip.compress(d), ("jsonl", "csv"), 400),
    "bom-then-zlib": (lambda d, f: BOM + zlib.compress(d), ("jsonl", "csv"), 400),
    "nan-extra": (
        lambda d, f: _second_row(d, f, lambda r: r[:-1] + b', "x": NaN}'),
        ("jsonl",),
        ("failed", f"{SECOND}: is not valid JSON (NaN is not a JSON value)"),
    ),
    "infinity-extra": (
        lambda d, f: _second_row(d, f, lambda r: r[:-1] + b', "x": -Infinity}'),
        ("jsonl",),
        ("failed", "-Infinity is not a JSON value"),
    ),
    "deep-nesting-unread": (  # x is not kept, so it is never read: the row is fine
        lambda d, f: _second_row(
            d, f, lambda r: r[:-1] + b', "x": ' + b"[" * 100 + b"]" * 100 + b"}"
        ),
        ("jsonl",),
        ("validated", ""),
    ),
    "deep-nesting-kept": (
        lambda d, f: _second_row(
            d, f, lambda r: r[:-1] + b', "keep_me": ' + b"[" * 100 + b"]" * 100 + b"}"
        ),
        ("jsonl",),
        ("failed", f"{SECOND}: field 'keep_me' nests deeper than 64 levels"),
    ),
    "deeper-than-any-reader": (
        lambda d, f: _second_row(
            d, f, lambda r: r[:-1] + b', "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
        ),
        ("jsonl",),
        ("failed", f"{SECOND}: nests deeper than 1024 levels"),
    ),
    "json-array-file": (
        lambda d, f: b"[" + b",\n".join(_lines(d.rstrip(b"\n"))) + b"]\n",
        ("jsonl",),
        ("failed", "the train file: a JSON array, not JSON Lines (one JSON object per line)"),
    ),
    "not-an-object": (
        lambda d, f: _second_row(d, f, lambda r: b'"just a string"'),
        ("jsonl",),
        ("failed", f"{SECOND}: is not a JSON object"),
    ),
    "number-for-string": (
        lambda d, f: _second_row(d, f, _first_string_to_number),
        ("jsonl",),
        ("failed", f"{SECOND}: field"),
    ),
    "ragged-csv-row": (
        lambda d, f: _second_row(d, f, lambda r: r + b",extra,cells"),
        ("csv",),
        ("failed", f"{SECOND}: has"),
    ),
    "unclosed-quote": (
        lambda d, f: _second_row(d, f, lambda r: b'"' + r),
        ("csv",),
        ("failed", "is not valid CSV"),
    ),
    "empty-file": (lambda d, f: b"", ("jsonl", "csv"), 400),
    "header-only": (lambda d, f: _lines(d)[0] + b"\n", ("csv",), ("failed", "train file")),
    "semicolons": (lambda d, f: d.replace(b",", b";"), ("csv",), ("failed", "csv_delimiter=;")),
}


def _first_string_to_number(row: bytes) -> bytes:
    record = json.loads(row)
    record[next(iter(record))] = 12345  # a number where a string or a list belongs
    return json.dumps(record).encode()


def _cases() -> list:
    cases = []
    for dataset_type in supported_types():
        formats = sorted(spec_for(dataset_type).formats & {"jsonl", "csv"})
        rows = valid_rows(dataset_type)
        for fmt in formats:
            if fmt == "csv" and isinstance(rows[0].get("label"), list):
                continue  # list cells in CSV have their own tests
            base = jsonl(rows) if fmt == "jsonl" else as_csv(rows)
            for name, (bend, applies, expected) in BENDS.items():
                if fmt in applies and (bend(base, fmt) != base or name == "as-is"):
                    cases.append(
                        pytest.param(
                            dataset_type,
                            fmt,
                            bend(base, fmt),
                            expected,
                            id=f"{dataset_type}-{fmt}-{name}",
                        )
                    )
    return cases


CASES = _cases()


def test_the_generated_corpus_covers_every_type_with_100_files_or_more():
    assert len(CASES) >= 100
    assert {case.values[0] for case in CASES} == set(supported_types())


@pytest.mark.parametrize(("dataset_type", "fmt", "body", "expected"), CASES)
def test_hostile_file(stack, dataset_type, fmt, body, expected):
    response = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "hostile", "type": dataset_type, "optional_fields": "keep_me"},
        files={"data": (f"data.{fmt}", body)},
        headers=stack.headers("fuzz"),
        timeout=60,
    )
    stack.expect_outcome(response, expected, "fuzz")
