"""Bytes of one chunk -> a polars frame of its rows, plus the rows that could not be read.

Each format has a fast path (polars parses the whole chunk) and an exact path (row by row, in
Python) used only when the fast path can't be trusted for that chunk: invalid UTF-8, invalid
JSON, blank lines, lone CRs, very deep nesting, or a value of the wrong JSON type (polars would
silently turn `5` into `"5"`). Either way the result is the same frame shape:
`ROW` (1-based row number within the chunk) followed by the kept fields.
"""

from __future__ import annotations

from validators.findings import Finding
from validators.formats import strip_bom
from validators.parsing.common import ROW, ParsedChunk, ParseOptions, line_count
from validators.parsing.csvfile import parse_csv
from validators.parsing.jsonl import MAX_JSON_DEPTH, MAX_LINE_DEPTH, parse_jsonl
from validators.parsing.overlong import TOO_LONG, row_too_long
from validators.parsing.text import parse_text

__all__ = ["FORMAT_RULES", "ROW", "ParseOptions", "ParsedChunk", "line_count", "parse_chunk"]

_READABLE = (
    ("row|utf8", "the row is valid UTF-8", "is not valid UTF-8 (byte N)"),
    ("row|no_nul", "the row holds no NUL byte (e.g. UTF-16 text)", "contains a NUL byte"),
    TOO_LONG,
)
# What each format's parser refuses, row by row: (code, what it checks, the message).
# `<field>` stands for the name of any kept field.
FORMAT_RULES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "jsonl": (
        ("row|not_empty", "no blank line", "is empty"),
        *_READABLE,
        ("row|json", "the line is valid JSON (NaN and Infinity are not)", "is not valid JSON"),
        ("row|json_object", "the line is a JSON object", "is not a JSON object"),
        ("row|json_depth", f"the line nests at most {MAX_LINE_DEPTH} levels", "nests deeper"),
        ("<field>|unique_key", "a kept field's key is given once", "appears twice"),
        ("<field>|json_depth", f"a kept value nests at most {MAX_JSON_DEPTH} levels", "nests"),
        ("<field>|int64", "integers fit in 64 bits", "holds an integer beyond 64 bits"),
    ),
    "csv": (
        ("file|csv_header", "a header names the required fields, each once", "csv files must"),
        ("row|csv", "quotes are well formed (else reading stops there)", "is not valid CSV"),
        ("row|field_count", "no more fields than the header", "has N fields but"),
        ("row|not_empty", "no blank line", "is empty"),
        *_READABLE,
    ),
    "txt": _READABLE,
}


def parse_chunk(data: bytes, options: ParseOptions, at_file_start: bool = True) -> ParsedChunk:
    """`at_file_start`: the chunk begins the file, where a UTF-8 BOM is allowed (anywhere else
    it is data: bad data, the same whichever chunk it falls in)."""
    parsers = {"jsonl": parse_jsonl, "csv": parse_csv, "txt": parse_text}
    parsed = parsers[options.format](strip_bom(data) if at_file_start else data, options)
    if options.cut_short and options.format != "csv":  # a CSV's own parser reads its last row
        _add_row_too_long(parsed, options, line_count(data))
    return parsed


def _add_row_too_long(parsed: ParsedChunk, options: ParseOptions, lines: int) -> None:
    """The record after the chunk's end, too long to be read, counted as its next row."""
    parsed.rows_seen += 1
    parsed.findings.append(Finding(parsed.rows_seen, None, *row_too_long(options)))
    earlier = parsed.row_lines
    if earlier is not None:
        parsed.row_lines = lambda: [*earlier(), lines + 1]
