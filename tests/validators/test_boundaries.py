"""Chunk cuts fall only between records, whatever the chunk size or read block size."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from validators.boundaries import csv_boundaries, csv_header_end, separator_boundaries

cells = st.text(alphabet='ab,"\n\r é', max_size=12)
records = st.lists(st.lists(cells, min_size=1, max_size=3), min_size=1, max_size=25)


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def _blocks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@settings(max_examples=200, deadline=None)
@given(records, st.integers(1, 64), st.integers(1, 50))
def test_csv_cuts_split_into_whole_records(rows, chunk_bytes, block_size):
    data = _csv_bytes(rows)
    cuts = csv_boundaries(_blocks(data, block_size), 0, chunk_bytes)
    edges = [0, *cuts, len(data)]
    assert cuts == sorted(set(cuts)) and all(0 < c < len(data) for c in cuts)
    pieces = [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    reparsed = [
        row for piece in pieces for row in csv.reader(io.StringIO(piece.decode(), newline=""))
    ]
    assert reparsed == list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_csv_header_end_skips_quoted_newlines():
    assert csv_header_end(b'"a\nb",c\n1,2\n') == 8
    assert csv_header_end(b"text") is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="ab é", max_size=10), max_size=30),
    st.integers(1, 40),
    st.sampled_from([b"\n", b"--", b"\n\n"]),
)
def test_separator_cuts_follow_a_separator(items, chunk_bytes, separator):
    data = b"".join(item.encode() + separator for item in items)
    cuts = separator_boundaries(lambda a, b: data[a:b], len(data), 0, chunk_bytes, separator)
    assert all(data[:c].endswith(separator) for c in cuts)
    assert cuts == sorted(set(cuts)) and all(0 < c < len(data) for c in cuts)
