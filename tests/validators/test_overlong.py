"""A row longer than MAX_RECORD_BYTES: the file is read up to it and no further, whatever made
it so long (a JSON array on one line, a text separator that never comes, a CSV quote never
closed), and the finding says what most likely did. Checked through the workers' own pipeline
(`sieve check`'s), in chunks far smaller than the row."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from cli.check import check_files
from store.records import CreateOptions, DatasetOptions
from validators.cutting import MAX_RECORD_BYTES
from validators.parsing.csvfile import _misquoted, _quotes_misplaced

CLASSIFY = "single-label-classification-finetune-input"
OVER = MAX_RECORD_BYTES + 1024


def _check(
    tmp_path: Path, name: str, data: bytes, dataset_type: str, chunk_bytes=1 << 20, **options
):
    path = tmp_path / name
    path.write_bytes(data)
    create = CreateOptions("overlong", dataset_type, dataset=DatasetOptions(**options))
    return check_files(create, path, None, chunk_bytes=chunk_bytes, processes=1)


def _labelled(count: int) -> bytes:
    return b"".join(b"row %d,l%d\n" % (i, i % 3) for i in range(count))


@pytest.mark.parametrize(
    ("name", "data", "dataset_type", "options", "error"),
    [
        (
            "array.jsonl",
            b"\n".join([b'{"text": "a"}'] * 3 + [b'[{"text": "' + b"x" * OVER + b'"}]']),
            "embed-input",
            {},
            "row 4 of the train file: is longer than 16 MiB, the most a row may be, so the "
            "file is read no further (is the file one JSON array or document? JSONL is one "
            "JSON object per line; sieve convert FILE --to TYPE rewrites it so)",
        ),
        (
            "texts.txt",
            b"a\n\nb\n\n" + b"long line\n" * (OVER // 10) + b"\n\nc\n\n",
            "embed-input",
            {"text_separator": "\n\n"},
            "row 3 of the train file: is longer than 16 MiB, the most a row may be, so the "
            "file is read no further (is the text separator '\\n\\n' in the file?)",
        ),
        (
            "open-quote.csv",
            b"text,label\n" + _labelled(50) + b'"never closed,l1\n' + _labelled(OVER // 8),
            CLASSIFY,
            {},
            "row 51 of the train file: is longer than 16 MiB, the most a row may be",
        ),
    ],
    ids=["json-array", "text-separator-absent", "csv-quote-never-closed"],
)
def test_a_row_over_the_limit_ends_the_reading_there(
    tmp_path, name, data, dataset_type, options, error
):
    result = _check(tmp_path, name, data, dataset_type, **options)
    assert result.verdict.status == "failed"
    assert result.verdict.error.startswith(error), result.verdict.error
    # what follows was not read, so no dataset rule is judged on a count that stopped there
    assert not any("needs at least" in w for w in result.verdict.warnings)
    assert result.rows_seen < 100


def test_a_row_just_under_the_limit_is_read(tmp_path):
    row = b'{"text": "' + b"y" * (MAX_RECORD_BYTES - 100) + b'"}\n'
    result = _check(tmp_path, "long.jsonl", row + b'{"text": "short"}\n', "embed-input")
    assert result.verdict.status == "validated" and result.rows_seen == 2


def test_a_long_quoted_csv_field_reads_alike_on_either_path(tmp_path):
    """A 300 KB field (over the csv module's 128 KiB default) in a chunk read row by row
    (a blank line sends it there) and in one polars reads."""
    field = b'"' + b"word, " * 50_000 + b'"'
    rows = b"text,label\n" + field + b",l0\n" + _labelled(60)
    exact = _check(tmp_path, "exact.csv", rows + b"\n", CLASSIFY, skip_malformed_input=True)
    fast = _check(tmp_path, "fast.csv", rows, CLASSIFY)
    assert exact.verdict.status == fast.verdict.status == "validated", exact.verdict.error
    assert (exact.rows_seen, fast.rows_seen) == (62, 61)  # the blank line is a row, dropped


def test_a_quote_never_closed_costs_no_memory_in_the_quote_checks():
    """Their regexes kept a way back per byte after an open quote: 13 GB for a 110 MB file."""
    document = b'text,label\n"open,a\n' + b"some words,b\n" * 200_000  # 2.6 MB
    tracemalloc.start()
    try:
        assert not _misquoted(document, ",")
        assert _quotes_misplaced(document.decode()[11:], ",")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * len(document), f"{peak / 1e6:.0f} MB for a {len(document) / 1e6} MB chunk"


def test_a_csv_row_cut_off_without_a_quote_is_the_row_too_long(tmp_path):
    """A line of 32 MiB of short cells and no quote: the csv module would read the part it
    was given as a row (of too many fields); it is the row too long instead."""
    data = b"text,label\n" + _labelled(60) + b"x," * OVER + b"l1\n" + _labelled(10)
    result = _check(tmp_path, "long-line.csv", data, CLASSIFY)
    assert result.verdict.error.startswith(
        "row 61 of the train file: is longer than 16 MiB, the most a row may be, so the file "
        "is read no further (is a quote left open?"
    ), result.verdict.error


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 64 << 20], ids=["cut-inside-it", "one-chunk"])
@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_a_csv_row_over_the_limit_fails_whatever_the_chunks(tmp_path, chunk_bytes, quoted):
    """Two 9 MiB cells: no field is over the limit, the row is. Where the cutter meant to cut
    inside it, it stopped reading there; in one chunk, the row used to pass."""
    cell = b"w" * (9 << 20)
    if quoted:
        cell = b'"' + b'say ""hi"", ' * ((9 << 20) // 12) + b'"'
    data = b"text,label\n" + _labelled(60) + cell + b"," + cell + b"\n" + _labelled(10)
    result = _check(tmp_path, "wide.csv", data, CLASSIFY, chunk_bytes=chunk_bytes)
    assert result.verdict.status == "failed"
    assert result.verdict.error.startswith(
        "row 61 of the train file: is longer than 16 MiB, the most a row may be"
    ), result.verdict.error


def test_a_csv_row_just_under_the_limit_is_read(tmp_path):
    cell = b"w" * ((MAX_RECORD_BYTES - 100) // 2)
    data = b"text,label\n" + _labelled(60) + cell + b"," + cell + b"\n" + _labelled(10)
    result = _check(tmp_path, "wide.csv", data, CLASSIFY, chunk_bytes=64 << 20)
    assert result.verdict.status == "validated", result.verdict.error
    assert result.rows_seen == 71
