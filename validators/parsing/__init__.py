"""Bytes of one chunk -> a polars frame of its rows, plus the rows that could not be read.

Each format has a fast path (polars parses the whole chunk) and an exact path (row by row, in
Python) used only when the fast path can't be trusted for that chunk: invalid UTF-8, invalid
JSON, blank lines, lone CRs, very deep nesting, or a value of the wrong JSON type (polars would
silently turn `5` into `"5"`). Either way the result is the same frame shape:
`ROW` (1-based row number within the chunk) followed by the kept fields.
"""

from __future__ import annotations

from validators.formats import strip_bom
from validators.parsing.common import ROW, ParsedChunk, ParseOptions
from validators.parsing.csvfile import parse_csv
from validators.parsing.jsonl import parse_jsonl
from validators.parsing.text import parse_text

__all__ = ["ROW", "ParseOptions", "ParsedChunk", "parse_chunk"]


def parse_chunk(data: bytes, options: ParseOptions, at_file_start: bool = True) -> ParsedChunk:
    """`at_file_start`: the chunk begins the file, where a UTF-8 BOM is allowed (anywhere else
    it is data: bad data, the same whichever chunk it falls in)."""
    parsers = {"jsonl": parse_jsonl, "csv": parse_csv, "txt": parse_text}
    return parsers[options.format](strip_bom(data) if at_file_start else data, options)
