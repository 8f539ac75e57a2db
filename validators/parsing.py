"""Bytes of one chunk -> a polars frame of its rows, plus the rows that could not be read.

Each format has a fast path (polars parses the whole chunk) and an exact path (row by row, in
Python) used only when the fast path can't be trusted for that chunk: invalid UTF-8, invalid
JSON, blank lines, lone CRs, very deep nesting, or a value of the wrong JSON type (polars would
silently turn `5` into `"5"`). Either way the result is the same frame shape:
`__row` (1-based row number within the chunk) followed by the kept fields.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

import polars as pl

from validators.fieldtypes import (
    DTYPES,
    accepts_dtype,
    as_declared,
    from_csv_cell,
    json_type_name,
    may_hide_wrong_types,
    normalised,
    type_problem,
)
from validators.findings import Finding
from validators.formats import strip_bom
from validators.spec import FieldKind

ROW = "__row"
MAX_JSON_DEPTH = 64

_SUSPICIOUS_TEXT = re.compile(
    r"\n[ \t\r]*\n|\r(?!\n)|\x00|[\[{](?:\s*[\[{]){" + str(MAX_JSON_DEPTH) + "}"
)


@dataclass(frozen=True)
class ParseOptions:
    format: str  # "jsonl" | "csv" | "txt"
    kept_fields: tuple[str, ...]
    field_kinds: tuple[tuple[str, FieldKind], ...] = ()  # the type's fields: checked strictly
    delimiter: str = ","
    separator: str = "\n"
    csv_header: bytes = b""  # the header record, prepended to CSV chunks after the first

    @property
    def kinds(self) -> dict[str, FieldKind]:
        return dict(self.field_kinds)


@dataclass
class ParsedChunk:
    frame: pl.DataFrame
    rows_seen: int
    findings: list[Finding] = field(default_factory=list)
    columns: tuple[str, ...] = ()


def parse_chunk(data: bytes, options: ParseOptions) -> ParsedChunk:
    parsers = {"jsonl": _parse_jsonl, "csv": _parse_csv, "txt": _parse_text}
    return parsers[options.format](strip_bom(data), options)


# -- shared helpers ------------------------------------------------------------------------
def _frame(rows: list[dict], row_numbers: list[int], options: ParseOptions) -> pl.DataFrame:
    """A frame of the kept fields from Python rows (missing fields become nulls)."""
    columns: dict[str, pl.Series] = {ROW: pl.Series(ROW, row_numbers, dtype=pl.UInt32)}
    for name in options.kept_fields:
        values = [row.get(name) for row in rows]
        columns[name] = pl.Series(name, values, dtype=_dtype_of(name, values, options))
    return pl.DataFrame(columns)


def _dtype_of(name: str, values: list, options: ParseOptions) -> pl.DataType | None:
    """The declared dtype for the type's fields; for kept extra fields, polars' own type when
    the values agree, else Object so that mixed values keep their JSON types (polars would
    coerce them)."""
    if name in options.kinds:
        return DTYPES[options.kinds[name]]
    kinds = {type(v) for v in values if v is not None}
    return None if len(kinds) <= 1 and not kinds & {dict, list} else pl.Object


def _with_row_numbers(frame: pl.DataFrame, options: ParseOptions) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype=pl.String).alias(n)
        for n in options.kept_fields
        if n not in frame.columns
    ]
    declared = [as_declared(name, kind) for name, kind in options.field_kinds]
    return (
        frame.with_columns(missing)
        .with_columns(declared)
        .select(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias(ROW), *options.kept_fields)
    )


def _line_count(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


# -- JSONL ---------------------------------------------------------------------------------
def _parse_jsonl(data: bytes, options: ParseOptions) -> ParsedChunk:
    fast = _parse_jsonl_fast(data, options)
    return fast if fast is not None else _parse_jsonl_exact(data, options)


def _parse_jsonl_fast(data: bytes, options: ParseOptions) -> ParsedChunk | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if (
        text.startswith("\n")
        or _SUSPICIOUS_TEXT.search(text)
        or may_hide_wrong_types(text, options.field_kinds)
    ):
        return None
    try:
        frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except Exception:  # noqa: BLE001 - any polars failure means: read it row by row
        return None
    rows = _line_count(text)
    if frame.height != rows or not _declared_columns_ok(frame, options):
        return None
    if _coercion_possible(frame, text, options):
        return None
    return ParsedChunk(_with_row_numbers(frame, options), rows, columns=tuple(frame.columns))


def _coercion_possible(frame: pl.DataFrame, text: str, options: ParseOptions) -> bool:
    """polars turns a column holding both strings and other values into strings; a kept extra
    field read as String may hide numbers or objects, so check its raw values like ours."""
    extras = [
        (name, FieldKind.STRING)
        for name in options.kept_fields
        if name not in options.kinds and frame.schema.get(name) == pl.String
    ]
    return may_hide_wrong_types(text, extras)


def _declared_columns_ok(frame: pl.DataFrame, options: ParseOptions) -> bool:
    return all(accepts_dtype(kind, frame.schema.get(name)) for name, kind in options.field_kinds)


def _parse_jsonl_exact(data: bytes, options: ParseOptions) -> ParsedChunk:
    rows, numbers, findings = [], [], []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        record, finding = _read_json_line(raw.removesuffix(b"\r"), options)
        if finding is not None:
            findings.append(Finding(number, finding[0], finding[1], finding[2]))
        else:
            rows.append(record)
            numbers.append(number)
    return ParsedChunk(_frame(rows, numbers, options), len(lines), findings)


def _read_json_line(raw: bytes, options: ParseOptions) -> tuple[dict, None] | tuple[None, tuple]:
    if not raw.strip():
        return None, (None, "is empty", "row|not_empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (None, f"is not valid UTF-8 (byte {exc.start + 1})", "row|utf8")
    if "\x00" in text:
        return None, (None, "contains a NUL byte", "row|no_nul")
    if _nesting_depth_exceeds(text, MAX_JSON_DEPTH):
        return None, (None, f"nests deeper than {MAX_JSON_DEPTH} levels", "row|json_depth")
    try:
        record = json.loads(text)
    except ValueError as exc:
        return None, (None, f"is not valid JSON ({exc.msg} at column {exc.colno})", "row|json")
    if not isinstance(record, dict):
        return None, (
            None,
            f"is not a JSON object (got {json_type_name(record)})",
            "row|json_object",
        )
    for name, kind in options.field_kinds:
        value = record.get(name)
        problem = None if value is None else type_problem(kind, value)
        if problem:
            return None, (name, problem, f"{name}|{kind}")
        record[name] = normalised(kind, value)
    return record, None


def _nesting_depth_exceeds(text: str, limit: int) -> bool:
    """Cheap upper bound on nesting (brackets inside strings count too, erring on caution only
    when a line has more than `limit` openers at all)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


# -- CSV -----------------------------------------------------------------------------------
def _parse_csv(data: bytes, options: ParseOptions) -> ParsedChunk:
    document = strip_bom(options.csv_header) + data
    fast = _parse_csv_fast(document, options)
    return fast if fast is not None else _parse_csv_exact(document, options)


def _parse_csv_fast(document: bytes, options: ParseOptions) -> ParsedChunk | None:
    if any(kind != FieldKind.STRING for _, kind in options.field_kinds):
        return None  # list cells need converting one by one
    if b"\n\n" in document or b"\n\r\n" in document or b"\x00" in document:
        return None
    if re.search(rb"\r(?!\n)", document):
        return None
    try:
        frame = pl.read_csv(
            io.BytesIO(document),
            separator=options.delimiter,
            infer_schema=False,
            has_header=True,
            quote_char='"',
            raise_if_empty=False,
            missing_utf8_is_empty_string=True,
        )
    except Exception:  # noqa: BLE001 - any polars failure means: read it row by row
        return None
    return ParsedChunk(
        _with_row_numbers(frame, options), frame.height, columns=tuple(frame.columns)
    )


def _parse_csv_exact(document: bytes, options: ParseOptions) -> ParsedChunk:
    text = document.decode("utf-8", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=options.delimiter, strict=True)
    rows, numbers, findings = [], [], []
    try:
        header = next(reader, [])
    except csv.Error as exc:
        return ParsedChunk(_frame([], [], options), 0, [_csv_error(0, exc)])
    seen = 0
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            seen += 1
            findings.append(_csv_error(seen, exc))
            break
        if values is None:
            break
        seen += 1
        record, finding = _csv_record(header, values, options)
        if finding is not None:
            findings.append(Finding(seen, *finding))
        else:
            rows.append(record)
            numbers.append(seen)
    return ParsedChunk(_frame(rows, numbers, options), seen, findings, columns=tuple(header))


def _csv_error(row: int, exc: csv.Error) -> Finding:
    return Finding(row, None, f"is not valid CSV ({exc})", "row|csv")


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
    record = dict(zip(header, values, strict=False))
    for name, kind in options.field_kinds:
        if kind != FieldKind.STRING and record.get(name) is not None:
            record[name], problem = from_csv_cell(kind, record[name])
            if problem:
                return None, (name, problem, f"{name}|{kind}")
    return record, None


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# -- plain text ----------------------------------------------------------------------------
def _parse_text(data: bytes, options: ParseOptions) -> ParsedChunk:
    separator = options.separator.encode("utf-8")
    pieces = data.split(separator)
    if pieces and pieces[-1] in (b"", b"\r"):
        pieces.pop()
    rows, numbers, findings = [], [], []
    for number, piece in enumerate(pieces, start=1):
        try:
            rows.append({"text": piece.removesuffix(b"\r").decode("utf-8")})
            numbers.append(number)
        except UnicodeDecodeError as exc:
            findings.append(
                Finding(number, None, f"is not valid UTF-8 (byte {exc.start + 1})", "row|utf8")
            )
    return ParsedChunk(_frame(rows, numbers, options), len(pieces), findings, columns=("text",))
