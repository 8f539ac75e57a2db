"""Cutting while bytes arrive: the same cuts whatever the block sizes, each just past a whole
record, none closer than the target (the last chunk aside)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from validators.cutting import RecordCutter


def _cuts(data: bytes, fmt: str, blocks: list[int], target: int, sep: bytes = b"\n") -> list[int]:
    cutter, cuts, position = RecordCutter(fmt, sep), [], 0
    for size in blocks:
        cuts += cutter.feed(data[position : position + size], target)
        position += size
    cuts += cutter.feed(data[position:], target)
    return cuts


def _csv_text(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["text", "label"], *rows])
    return buffer.getvalue().encode()


CELLS = st.text(alphabet='ab"\n,x', max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(CELLS, min_size=2, max_size=2), min_size=1, max_size=40),
    st.lists(st.integers(1, 40), max_size=30),
    st.integers(1, 60),
)
def test_csv_cuts_fall_between_records_whatever_the_blocks(rows, blocks, target):
    data = _csv_text(rows)
    whole = _cuts(data, "csv", [], target)
    assert _cuts(data, "csv", blocks, target) == whole
    header = data.index(b"\n") + 1 if data.startswith(b"text,label\n") else None
    starts = [header, *whole]
    for begin, end in zip(starts, whole, strict=False):
        assert end - begin >= target
    for cut in whole:  # each piece before a cut reads as whole records
        assert list(csv.reader(io.StringIO(data[:cut].decode())))[-1] is not None
        assert data[:cut].count(b'"') % 2 == 0 and data[cut - 1 : cut] == b"\n"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="ab|\n", max_size=6), max_size=40),
    st.lists(st.integers(1, 20), max_size=30),
    st.integers(1, 30),
    st.sampled_from([b"\n", b"||", b"|\n|"]),
)
def test_separator_cuts_follow_a_separator_whatever_the_blocks(texts, blocks, target, sep):
    data = sep.join(t.encode() for t in texts)
    whole = _cuts(data, "txt", [], target, sep)
    assert _cuts(data, "txt", blocks, target, sep) == whole
    previous = 0
    for cut in whole:
        assert data[cut - len(sep) : cut] == sep and cut - previous >= target
        previous = cut


def test_a_csv_header_that_never_ends_stops_the_cutting():
    cutter = RecordCutter("csv")
    assert cutter.feed(b"a" * (2 << 20), 10) == [] and cutter.gave_up
    assert cutter.feed(b"\nx\n" * 10, 1) == []


def _first_overlong(data: bytes, sep: bytes, limit: int) -> int | None:
    """Where the first record longer than `limit` starts, by bytes.split's reading."""
    start = 0
    for record in data.split(sep)[:-1] if data.endswith(sep) else data.split(sep):
        if len(record) > limit:
            return start
        start += len(record) + len(sep)
    return None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 30), max_size=30),
    st.lists(st.integers(1, 20), max_size=30),
    st.integers(1, 40),
    st.integers(1, 25),
    st.sampled_from([b"\n", b"|\n", b"--\n"]),  # none can overlap itself
)
def test_a_record_over_the_limit_stops_the_cutting_where_it_starts(
    lengths, blocks, target, limit, sep
):
    data = sep.join(b"x" * n for n in lengths)
    cutter, cuts, position = RecordCutter("txt", sep, max_record=limit), [], 0
    for size in [*blocks, len(data)]:
        cuts += cutter.feed(data[position : position + size], target)
        position += size
    expected = _first_overlong(data, sep, limit)
    assert cutter.cut_short_at == expected and cutter.gave_up == (expected is not None)
    assert expected is None or all(cut <= expected for cut in cuts)


def test_a_csv_quote_never_closed_cuts_the_file_short():
    data = b"text,label\n" + b"a,b\n" * 10 + b'"open,b\n' + b"a,b\n" * 1000
    cutter = RecordCutter("csv", max_record=100)
    cuts = [cut for at in range(0, len(data), 64) for cut in cutter.feed(data[at : at + 64], 20)]
    assert cutter.gave_up and cuts and cutter.cut_short_at == cuts[-1] + 20 + 100
    assert data[: cuts[-1]].count(b'"') == 0  # every cut before the open quote
