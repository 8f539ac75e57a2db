"""CSV chunks (the header record is prepended to every chunk): polars when it can be
trusted, else Python's csv module, record by record."""

from __future__ import annotations

import csv
import io
import re

import polars as pl

from validators.cutting import MAX_RECORD_BYTES
from validators.findings import Finding, field_finding
from validators.formats import may_inflate, strip_bom
from validators.kinds import STRING
from validators.parsing.common import (
    ParsedChunk,
    ParseOptions,
    frame_from_rows,
    line_count,
    with_row_numbers,
)
from validators.parsing.overlong import row_too_long

csv.field_size_limit(MAX_RECORD_BYTES)  # the cutter's limit on a record (131 072 by default)


def parse_csv(data: bytes, options: ParseOptions) -> ParsedChunk:
    document = strip_bom(options.csv_header) + data
    names = _header_names(document, options.delimiter)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        reason = f"the csv header names {', '.join(map(repr, repeated))} more than once"
        finding = Finding(0, None, reason, "file|csv_header")
        return ParsedChunk(frame_from_rows([], [], options), 0, [finding], tuple(names))
    fast = None if options.cut_short else _parse_csv_fast(document, options)
    parsed = fast if fast is not None else _parse_csv_exact(document, options)
    if line_count(data) != parsed.rows_seen:  # a record over several lines
        parsed.row_lines = lambda: _record_lines(document, options.delimiter)
    return parsed


def _record_lines(document: bytes, delimiter: str) -> list[int]:
    """The line (after the header) each record of `document` starts on."""
    lines = _RecordedLines(document.decode("utf-8", errors="surrogateescape"))
    reader = csv.reader(lines, delimiter=delimiter)
    starts, line = [], 1
    try:
        next(reader, None)
        lines.take()
        for _ in reader:
            starts.append(line)
            line += lines.take().count("\n")
    except csv.Error:
        starts.append(line)  # the record that broke: the rest is its one finding
    return starts


def _header_names(document: bytes, delimiter: str) -> list[str]:
    head = document[: 1 << 20].decode("utf-8", errors="replace")
    try:
        return next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def _parse_csv_fast(document: bytes, options: ParseOptions) -> ParsedChunk | None:
    if any(kind is not STRING for _, kind in options.field_kinds):
        return None  # list cells need converting one by one
    if b"\n\n" in document or b"\n\r\n" in document or b"\x00" in document:
        return None
    if may_inflate(document) or _misquoted(document, options.delimiter):
        return None
    if re.search(rb"\r(?!\n)", document):
        return None
    if not document.endswith(b"\n"):  # polars misses a ragged last line with no line end
        document += b"\n"
    try:
        frame = pl.read_csv(
            io.BytesIO(document),
            separator=options.delimiter,
            infer_schema=False,
            has_header=True,
            quote_char='"',
            raise_if_empty=False,
        )
    except Exception:  # noqa: BLE001 - any polars failure means: read it row by row
        return None
    frame = frame.with_columns(pl.col(pl.String).fill_null(""))  # an empty cell is "", not absent
    if _may_hold_a_row_too_long(frame):
        return None  # measured exactly, and worded, row by row
    return ParsedChunk(with_row_numbers(frame, options), frame.height, columns=tuple(frame.columns))


def _may_hold_a_row_too_long(frame: pl.DataFrame) -> bool:
    """Whether a row may have been longer than MAX_RECORD_BYTES in the file: at most twice its
    cells' bytes (every character a doubled quote) and three per cell (quotes, delimiter), so
    only rows over a few MiB are measured again. A row, not a field: the cutter finds such a
    row only where it meant to cut, and the verdict must not depend on where that was."""
    if not frame.width or not frame.height:
        return False
    longest = frame.select(pl.col(pl.String).str.len_bytes().max()).row(0)
    if sum(2 * (cell or 0) + 3 for cell in longest) <= MAX_RECORD_BYTES:
        return False  # the longest cell of each column, together, fit: so does every row
    bound = pl.sum_horizontal(pl.col(pl.String).str.len_bytes() * 2 + 3).max()
    return frame.select(bound).item() > MAX_RECORD_BYTES


def _misquoted(document: bytes, delimiter: str) -> bool:
    """Quotes polars may read otherwise than the csv module (which reads them exactly): a
    quoted field whose closing quote is followed by anything but a delimiter or a line end,
    or a quote between two ordinary characters (inside an unquoted field)."""
    if b'"' not in document:
        return False
    sep = re.escape(delimiter.encode("utf-8"))
    # Possessive (*+): a quote never closed must not make the engine keep a way back per byte
    # (it took 13 GB for a 110 MB file).
    closed_early = rb"(?:^|(?<=[" + sep + rb'\n]))"(?:[^"]++|"")*+"(?=[^"' + sep + rb"\r\n])"
    stray = rb'[^"' + sep + rb'\r\n]"[^"' + sep + rb"\r\n]"
    return bool(re.search(closed_early, document) or re.search(stray, document))


class _RecordedLines:
    """The lines the csv reader takes, kept until asked for: the raw text of each record."""

    def __init__(self, text: str) -> None:
        self._stream = io.StringIO(text, newline="")
        self._length = len(text)
        self._taken: list[str] = []

    def __iter__(self) -> _RecordedLines:
        return self

    def __next__(self) -> str:
        line = self._stream.readline()
        if not line:
            raise StopIteration
        self._taken.append(line)
        return line

    def take(self) -> str:
        raw, self._taken = "".join(self._taken), []
        return raw

    def at_end(self) -> bool:
        return self._stream.tell() >= self._length


def _quotes_misplaced(raw: str, delimiter: str) -> bool:
    """A record holding a quote anywhere but around a whole field (doubled inside it). The csv
    module reads a quote inside an unquoted field as a character; the planner's quote parity
    takes it as opening a field, so such a file would be cut differently than read: it is
    refused at that record, whatever the chunking."""
    if '"' not in raw:
        return False
    sep = re.escape(delimiter)
    field = f'(?:"(?:[^"]++|"")*+"|[^"\r\n{sep}]*+)'
    return re.fullmatch(f"{field}(?:{sep}{field})*(?:\r\n|\n|\r)?", raw) is None


def _parse_csv_exact(document: bytes, options: ParseOptions) -> ParsedChunk:
    text = document.decode("utf-8", errors="surrogateescape")
    lines = _RecordedLines(text)
    reader = csv.reader(lines, delimiter=options.delimiter, strict=True)
    rows, numbers, findings = [], [], []
    try:
        header = next(reader, [])
    except csv.Error as exc:
        return ParsedChunk(frame_from_rows([], [], options), 0, [_csv_error(0, exc, options)])
    lines.take()
    seen = 0
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            seen += 1
            findings.append(_csv_error(seen, exc, options))
            break
        if values is None:
            break
        seen += 1
        raw = lines.take()
        if _quotes_misplaced(raw, options.delimiter):
            reason = "is not valid CSV (a quote is misplaced or never closed)"
            findings.append(Finding(seen, None, reason, "row|csv"))
            break
        if _longer_than_a_row_may_be(raw):
            findings.append(Finding(seen, None, *row_too_long(options, last_read=False)))
            continue
        record, finding = _csv_record(header, values, options)
        if isinstance(finding, Finding):
            findings.append(finding.shifted(seen - 1))
        elif finding is not None:
            findings.append(Finding(seen, *finding))
        else:
            rows.append(record)
            numbers.append(seen)
    if options.cut_short and lines.at_end():  # the last row read is the one cut off
        seen = max(seen, 1)
        findings = [finding for finding in findings if finding.row != seen]
        findings.append(Finding(seen, None, *row_too_long(options)))
        if numbers and numbers[-1] == seen:
            rows.pop()
            numbers.pop()
    return ParsedChunk(
        frame_from_rows(rows, numbers, options), seen, findings, columns=tuple(header)
    )


def _longer_than_a_row_may_be(raw: str) -> bool:
    """The record's bytes in the file, its line end left out, over MAX_RECORD_BYTES (a
    character is 1 to 4 bytes: most rows are told by their length alone)."""
    if len(raw) * 4 <= MAX_RECORD_BYTES:
        return False
    record = raw.removesuffix("\n").removesuffix("\r")
    return len(record) > MAX_RECORD_BYTES or (
        len(record.encode("utf-8", errors="surrogateescape")) > MAX_RECORD_BYTES
    )


# Where the csv module notices a stray or unclosed quote depends on where the bytes it was
# given end — a chunk boundary for a file in chunks — so those errors are worded alike.
_QUOTE_ERRORS = ("unexpected end of data", "expected after '\"'")


def _csv_error(row: int, exc: csv.Error, options: ParseOptions) -> Finding:
    detail = str(exc)
    if "field larger than field limit" in detail:
        return Finding(row, None, *row_too_long(options, last_read=False))
    if any(marker in detail for marker in _QUOTE_ERRORS):
        detail = "a quote is misplaced or never closed"
    return Finding(row, None, f"is not valid CSV ({detail})", "row|csv")


def _csv_record(header: list[str], values: list[str], options: ParseOptions) -> tuple:
    if not values:  # a blank line
        return None, (None, "is empty", "row|not_empty")
    if any(_has_surrogates(v) for v in values):
        return None, (None, "is not valid UTF-8", "row|utf8")
    if "\x00" in "".join(values):
        return None, (None, "contains a NUL byte", "row|no_nul")
    if len(values) > len(header):
        reason = f"has {len(values)} fields but the header has {len(header)}"
        return None, (None, reason, "row|field_count")
    padded = values + [""] * (len(header) - len(values))  # a short row's missing cells are empty
    record = dict(zip(header, padded, strict=True))
    for name, kind in options.field_kinds:
        if kind is not STRING and record.get(name) is not None:
            cell = record[name]
            record[name], problem = kind.from_csv_cell(cell)
            if problem:
                return None, field_finding(1, name, problem, cell)
    return record, None


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
