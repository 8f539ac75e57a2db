"""Rows on demand from a validated dataset's parts: a page at any offset, and a substring
search over one field, part by part with a time budget.

A page skips whole parts by their row counts, and within a part reads only the Avro blocks
that hold its rows (workers.parts writes parts in blocks of 8192 rows and records where each
starts), so a page deep in a 1.5 GB dataset reads a block or two, never a whole part. A search
reads the parts in turn and stops when the page is full or the time is spent, saying then
that its answer is partial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from store.blobs import BlobStore
from store.records import DatasetRecord
from workers.parts import read_part, read_rows

SEARCH_SECONDS = 2.0


@dataclass
class RowsPage:
    rows: list[dict[str, Any]]
    total: int  # rows in the file's parts (searched: rows searched)
    partial: bool = False  # the time budget ran out before every part was searched
    matches: int | None = None  # with a query: matches found so far
    positions: list[int] = field(default_factory=list)  # each row's 0-based place in the file


def _parts(record: DatasetRecord, role: str) -> list[dict[str, Any]]:
    return [part for part in record.parts if part["name"].startswith(f"{role}-")]


def page(blobs: BlobStore, record: DatasetRecord, role: str, offset: int, limit: int) -> RowsPage:
    """Rows [offset, offset + limit) of the file, as stored."""
    parts = _parts(record, role)
    total = sum(part["num_rows"] for part in parts)
    rows, positions, start = [], [], 0
    for part in parts:
        end = start + part["num_rows"]
        if end > offset and len(rows) < limit:
            begin = max(offset, start) - start
            wanted = min(part["num_rows"], begin + limit - len(rows))
            found = read_rows(blobs, part, begin, wanted)
            rows += found
            positions += list(range(start + begin, start + begin + len(found)))
        start = end
    return RowsPage(rows, total, positions=positions)


def search(
    blobs: BlobStore,
    record: DatasetRecord,
    role: str,
    query: str,
    column: str,
    offset: int,
    limit: int,
    deadline: float | None = None,
) -> RowsPage:
    """The matches [offset, offset + limit) of `query` in `column` (case-insensitive), found
    before `deadline` (time.monotonic(); by default SEARCH_SECONDS from now)."""
    deadline = time.monotonic() + SEARCH_SECONDS if deadline is None else deadline
    rows, positions, matches, searched, start = [], [], 0, 0, 0
    parts = _parts(record, role)
    for part in parts:
        if len(rows) >= limit:
            break
        if time.monotonic() > deadline:
            return RowsPage(rows, searched, True, matches, positions)
        frame = read_part(blobs, part["key"]).with_row_index("_position", offset=start)
        text = _as_text(frame, column)
        found = frame.filter(text.str.to_lowercase().str.contains(query.lower(), literal=True))
        skip = max(0, offset - matches)
        taken = found.slice(skip, limit - len(rows))
        rows += taken.drop("_position").to_dicts()
        positions += taken["_position"].to_list()
        matches += found.height
        searched += part["num_rows"]
        start += part["num_rows"]
    return RowsPage(rows, searched, False, matches, positions)


def _as_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit("")
    if frame.schema[column] == pl.String:
        return pl.col(column).fill_null("")
    return pl.struct(pl.col(column)).struct.json_encode()
