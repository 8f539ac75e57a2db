"""JSONL chunks: polars reads the whole chunk when it can be trusted, else row by row."""

from __future__ import annotations

import io
import json
import sys

import polars as pl

from validators.findings import Finding, excerpt, field_finding
from validators.formats import may_inflate
from validators.kinds import STRING, FieldKind
from validators.parsing.common import (
    ParsedChunk,
    ParseOptions,
    frame_from_rows,
    line_count,
    with_row_numbers,
)
from validators.parsing.compiled import compiled_records, text_reader, type_gate
from validators.shapes import json_type_name

MAX_JSON_DEPTH = 64  # for the values kept as polars columns (JSON text holds any depth)
MAX_LINE_DEPTH = 1024  # for a whole line: deeper, polars refuses the line, and so do we
sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * MAX_LINE_DEPTH))  # json.loads recurses


def parse_jsonl(data: bytes, options: ParseOptions) -> ParsedChunk:
    """polars reads the whole chunk when it can be trusted; else each line is decoded by the
    type's compiled decoder, and the lines it refuses are read exactly, to word the finding."""
    fast = _parse_jsonl_fast(data, options)
    return fast if fast is not None else _parse_jsonl_lines(data, options)


def _parse_jsonl_fast(data: bytes, options: ParseOptions) -> ParsedChunk | None:
    """None when polars' reading can't be trusted. polars itself refuses invalid UTF-8, lone
    CRs and bad JSON, and skips blank lines (the row count gives those away)."""
    if not all(kind.fast_path for _, kind in options.field_kinds):
        return None
    patterned = [(name, kind) for name, kind in options.field_kinds if not kind.gated]
    if b"\x00" in data or may_hide_wrong_types(data, patterned):
        return None
    if not type_gate(options.field_kinds).passes(data):
        return None
    if may_inflate(data) or _may_hold_non_json(data):
        return None
    try:
        frame = _read_ndjson(data, options)
    except Exception:  # noqa: BLE001 - any polars failure means: read it row by row
        return None
    rows = line_count(data)
    if frame.height != rows or not _declared_columns_ok(frame, options):
        return None
    if _coercion_possible(frame, data, options) or _too_deep(frame) or _wide_integers(frame):
        return None
    if _may_repeat_kept_keys(data, frame, options):
        return None
    return ParsedChunk(with_row_numbers(frame, options), rows, columns=tuple(frame.columns))


def _may_hold_non_json(data: bytes) -> bool:
    """polars reads NaN and Infinity as numbers; JSON has no such values."""
    return b"NaN" in data or b"Infinity" in data


def _may_repeat_kept_keys(data: bytes, frame: pl.DataFrame, options: ParseOptions) -> bool:
    """polars keeps the first of two equal keys, json.loads the last: a chunk in which a kept
    field's quoted name appears more often than polars found values for it is read exactly
    (and refused there). Counting against rows would miss a key given twice in one row and
    absent from another."""
    return any(
        data.count(b'"%s"' % name.encode()) > frame.get_column(name).count()
        for name in options.kept_fields
        if name in frame.columns
    )


def _wide_integers(frame: pl.DataFrame) -> bool:
    """Integers beyond 64 bits (polars infers Int128) can't be stored: read exactly, refused."""
    return any(_has_wide_integer(dtype) for dtype in frame.schema.values())


def _has_wide_integer(dtype: pl.DataType) -> bool:
    if dtype in (pl.Int128, pl.UInt128, pl.UInt64):
        return True
    if isinstance(dtype, pl.List | pl.Array):
        return _has_wide_integer(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return any(_has_wide_integer(f.dtype) for f in dtype.fields)
    return False


def _read_ndjson(data: bytes, options: ParseOptions) -> pl.DataFrame:
    """With only the type's fields kept, a fixed schema lets polars skip inference and every
    other key (~5x faster); kept extra fields need their types inferred over every row."""
    declared = {name: kind.read_dtype() for name, kind in options.field_kinds}
    if not set(options.kept_fields) <= set(declared):
        return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    frame = pl.read_ndjson(io.BytesIO(data), schema=declared)
    again = {name: kind.read_dtype(frame[name]) for name, kind in options.field_kinds}
    return frame if again == declared else pl.read_ndjson(io.BytesIO(data), schema=again)


def _coercion_possible(frame: pl.DataFrame, text: bytes, options: ParseOptions) -> bool:
    """polars turns a column holding both strings and other values into strings; a kept extra
    field read as String may hide numbers or objects, so check its raw values like ours."""
    extras = [
        (name, STRING)
        for name in options.kept_fields
        if name not in options.kinds and frame.schema.get(name) == pl.String
    ]
    return may_hide_wrong_types(text, extras)


def _too_deep(frame: pl.DataFrame) -> bool:
    return any(_dtype_depth(dtype) > MAX_JSON_DEPTH for dtype in frame.schema.values())


def _dtype_depth(dtype: pl.DataType) -> int:
    if isinstance(dtype, pl.List | pl.Array):
        return 1 + _dtype_depth(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return 1 + max((_dtype_depth(f.dtype) for f in dtype.fields), default=0)
    return 0


def _declared_columns_ok(frame: pl.DataFrame, options: ParseOptions) -> bool:
    return all(
        kind.accepts_dtype(frame.schema.get(name))
        and (name not in frame.columns or kind.accepts_column(frame[name]))
        for name, kind in options.field_kinds
    )


def may_hide_wrong_types(data: bytes, fields: tuple[tuple[str, FieldKind], ...] | list) -> bool:
    """Whether raw JSONL bytes may hold a value of the wrong type for one of the fields."""
    return any(
        pattern.search(data) for name, kind in fields for pattern in kind.suspect_patterns(name)
    )


def _parse_jsonl_lines(data: bytes, options: ParseOptions, compiled: bool = True) -> ParsedChunk:
    """Line by line (`compiled=False`: every line read exactly, as the tests' reference)."""
    rows, numbers, findings = [], [], []
    raws = data.split(b"\n")
    if raws and raws[-1] == b"":
        raws.pop()
    lines = [raw.removesuffix(b"\r") for raw in raws]
    decoded = (
        compiled_records(data, lines, options.field_kinds, options.kept_fields)
        if compiled
        else [None] * len(lines)
    )
    for number, (raw, line, record) in enumerate(zip(raws, lines, decoded, strict=True), 1):
        problem = None
        if record is None:
            record, problem = _read_json_line(line, options)
        if problem is None:
            rows.append(record)
            numbers.append(number)
        elif isinstance(problem, Finding):
            findings.append(problem.shifted(number - 1))
        else:
            field, reason, rule = problem
            text = raw.decode("utf-8", errors="replace")
            findings.append(Finding(number, field, reason, rule, excerpt(text)))
    return ParsedChunk(frame_from_rows(rows, numbers, options), len(lines), findings)


def _read_json_line(
    raw: bytes, options: ParseOptions
) -> tuple[dict, None] | tuple[None, tuple | Finding]:
    if not raw.strip():
        return None, (None, "is empty", "row|not_empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (None, f"is not valid UTF-8 (byte {exc.start + 1})", "row|utf8")
    if "\x00" in text:
        return None, (None, "contains a NUL byte", "row|no_nul")
    if _nesting_depth_exceeds(text, MAX_LINE_DEPTH):
        return None, (None, f"nests deeper than {MAX_LINE_DEPTH} levels", "row|json_depth")
    try:
        record = json.loads(text, parse_constant=_refuse_constant)
    except NotJsonError as exc:
        return None, (None, f"is not valid JSON ({exc})", "row|json")
    except ValueError as exc:
        what = exc.msg.removesuffix(" at")  # "Unterminated string starting at" + " at column"
        where = f"{what} at column {exc.colno}{_array_hint(text)}"
        return None, (None, f"is not valid JSON ({where})", "row|json")
    if not isinstance(record, dict):
        hint = _array_hint(text)
        return None, (
            None,
            f"is not a JSON object (got {json_type_name(record)}{hint})",
            "row|json_object",
        )
    repeated = _repeated_kept_key(text, options)
    if repeated is not None:
        return None, (repeated, "appears twice in the object", f"{repeated}|unique_key")
    columns = _column_fields(options)
    kept = {n: _as_kept(options, n, record.get(n)) for n in columns}  # what the column holds
    too_deep = next((n for n in columns if _value_depth(kept[n]) > MAX_JSON_DEPTH), None)
    if too_deep is not None:
        reason = f"nests deeper than {MAX_JSON_DEPTH} levels"
        return None, (too_deep, reason, f"{too_deep}|json_depth")
    too_wide = next((n for n in columns if _wide_int_in(kept[n])), None)
    if too_wide is not None:
        reason = "holds an integer beyond 64 bits (store it as a string)"
        return None, (too_wide, reason, f"{too_wide}|int64")
    for name, kind in options.field_kinds:
        value = record.get(name)
        problem = None if value is None else kind.problem(value)
        if problem:
            return None, field_finding(1, name, problem, value)
        record[name] = None if value is None else kind.normalised(value)
    texts = text_reader(options.field_kinds).texts(raw)
    if texts is None:
        reason = "holds a lone surrogate escape (such as \\ud800), which is not Unicode text"
        return None, (None, reason, "row|unicode")
    record.update(texts)
    return record, None


def _as_kept(options: ParseOptions, name: str, value: object) -> object:
    """A column field's value as its kind keeps it (a turn without the keys it drops)."""
    kind = options.kinds.get(name)
    return value if kind is None or value is None else kind.normalised(value)


def _column_fields(options: ParseOptions) -> list[str]:
    """The kept fields stored as polars columns and Avro values (not as their JSON text)."""
    kinds = options.kinds
    return [n for n in options.kept_fields if n not in kinds or not kinds[n].stores_json_text]


def _array_hint(text: str) -> str:
    """A line opening a JSON array: the file is likely one JSON array, not JSONL."""
    starts_array = text.lstrip()[:1] == "["
    return "; JSONL is one JSON object per line, not a JSON array" if starts_array else ""


class NotJsonError(ValueError):
    """A value JSON does not have (NaN, Infinity)."""


def _refuse_constant(name: str) -> None:
    raise NotJsonError(f"{name} is not a JSON value")


def _repeated_kept_key(text: str, options: ParseOptions) -> str | None:
    """A kept field's key given twice at the top level of the object (checked only when its
    name appears twice in the line at all)."""
    suspects = [name for name in options.kept_fields if text.count(f'"{name}"') > 1]
    if not suspects:
        return None
    pairs = json.loads(text, object_pairs_hook=lambda items: items)
    names = [key for key, _ in pairs]
    return next((name for name in suspects if names.count(name) > 1), None)


def _value_depth(value: object) -> int:
    """Levels of lists and objects in a value, counted as polars counts a column's dtype."""
    if isinstance(value, list):
        return 1 + max((_value_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_value_depth(item) for item in value.values()), default=0)
    return 0


def _wide_int_in(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**63
    if isinstance(value, list):
        return any(_wide_int_in(item) for item in value)
    if isinstance(value, dict):
        return any(_wide_int_in(item) for item in value.values())
    return False


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
