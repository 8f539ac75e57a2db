"""What every format's parser produces: a frame of rows with their row numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from validators.findings import Finding
from validators.kinds import FieldKind

ROW = "sieve|row"  # "|" can't be in a field name: no user field collides with it


@dataclass(frozen=True)
class ParseOptions:
    format: str  # "jsonl" | "csv" | "txt"
    kept_fields: tuple[str, ...]
    field_kinds: tuple[tuple[str, FieldKind], ...] = ()  # the type's fields: checked strictly
    delimiter: str = ","
    separator: str = "\n"
    csv_header: bytes = b""  # the header record, prepended to CSV chunks after the first
    cut_short: bool = False  # the chunk ends where the file stops being read (a row too long)

    @property
    def kinds(self) -> dict[str, FieldKind]:
        return dict(self.field_kinds)


@dataclass
class ParsedChunk:
    frame: pl.DataFrame
    rows_seen: int
    findings: list[Finding] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    # Where rows and lines differ (a CSV cell over several lines, a text separator other than
    # a line end): the line of the chunk's data each row starts on, computed when asked (the
    # full report asks, for a chunk with findings). None: row N is line N.
    row_lines: Callable[[], list[int]] | None = None

    def line_of(self, rows: pl.Series) -> pl.Series:
        """The lines of the chunk's data where these (1-based) rows start."""
        if self.row_lines is None:
            return rows.cast(pl.UInt32)
        lines = pl.Series(self.row_lines(), dtype=pl.UInt32)
        return lines.gather(rows.cast(pl.Int64) - 1)


def frame_from_rows(
    rows: list[dict], row_numbers: list[int], options: ParseOptions
) -> pl.DataFrame:
    """A frame of the kept fields from Python rows (missing fields become nulls)."""
    columns: dict[str, pl.Series] = {ROW: pl.Series(ROW, row_numbers, dtype=pl.UInt32)}
    for name in options.kept_fields:
        values = [row.get(name) for row in rows]
        columns[name] = pl.Series(name, values, dtype=dtype_of(name, values, options))
    return pl.DataFrame(columns)


def dtype_of(name: str, values: list, options: ParseOptions) -> pl.DataType | None:
    """The declared dtype for the type's fields; for kept extra fields, polars' own type when
    the values agree, else Object so that mixed values keep their JSON types (polars would
    coerce them)."""
    if name in options.kinds:
        return options.kinds[name].dtype
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return pl.String  # all absent: typed as the fast path types a missing field
    return None if len(kinds) <= 1 and not kinds & {dict, list} else pl.Object


def with_row_numbers(frame: pl.DataFrame, options: ParseOptions) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype=pl.String).alias(n)
        for n in options.kept_fields
        if n not in frame.columns
    ]
    declared = [
        kind.as_declared(name, frame.schema.get(name)) for name, kind in options.field_kinds
    ]
    return (
        frame.with_columns(missing)
        .with_columns(declared)
        .select(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias(ROW), *options.kept_fields)
    )


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
