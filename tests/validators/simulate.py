"""The worker pipeline in memory (plan -> chunks -> merge -> duplicates -> judge), using only
validators/, so rules can be tested over any chunk size without Redis or Celery."""

from __future__ import annotations

import csv
import io
import json

import polars as pl

from validators.aggregates import row_hashes, tally
from validators.boundaries import csv_boundaries, csv_header_end, separator_boundaries
from validators.duplicates import find_duplicates
from validators.engine import RuleOptions, evaluate_chunk
from validators.parsing import ROW, ParseOptions, parse_chunk
from validators.registry import spec_for
from validators.report import merge
from validators.schema import kept_fields
from validators.verdict import Verdict, judge


def _chunks(data: bytes, fmt: str, chunk_bytes: int) -> tuple[bytes, list[bytes]]:
    if fmt == "csv":
        start = csv_header_end(data) or len(data)
        cuts = csv_boundaries([data], start, chunk_bytes)
    else:
        start = 0
        cuts = separator_boundaries(lambda a, b: data[a:b], len(data), 0, chunk_bytes, b"\n")
    edges = [start, *cuts, len(data)]
    pieces = [data[a:b] for a, b in zip(edges, edges[1:], strict=False) if b > a]
    return data[:start], pieces


def validate(
    dataset_type: str,
    files: dict[str, tuple[str, bytes]],
    chunk_bytes: int = 1 << 30,
    skip: bool = False,
    keep: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> tuple[Verdict, dict[str, list[dict]]]:
    """files: role -> (format, bytes). Returns the verdict and the kept rows per role."""
    spec = spec_for(dataset_type)
    fields = tuple(kept_fields(spec, list(keep), list(optional)))
    reports, kept_rows = [], {}
    for role, (fmt, data) in files.items():
        header, pieces = _chunks(data, fmt, chunk_bytes)
        options = ParseOptions(fmt, fields, spec.field_kinds, csv_header=header)
        chunk_reports, frames = [], []
        for index, piece in enumerate(pieces):
            first = index == 0 and fmt != "csv"  # CSV data starts after its header
            report, valid = evaluate_chunk(
                spec, parse_chunk(piece, options, at_file_start=first), RuleOptions(fmt, keep)
            )
            chunk_reports.append(report)
            frames.append(valid)
        merged = merge(role, chunk_reports)
        chunk_reports, frames = chunk_reports[: merged.chunks_read], frames[: merged.chunks_read]
        offsets = [sum(r.rows_seen for r in chunk_reports[:i]) for i in range(len(chunk_reports))]
        found = find_duplicates([row_hashes(f) for f in frames], offsets)
        for index, duplicates in enumerate(found):
            if duplicates.positions:
                frame = frames[index]
                mask = pl.Series([i in set(duplicates.positions) for i in range(frame.height)])
                merged.drop_duplicates(
                    len(duplicates.positions), duplicates.first_row, tally(spec, frame.filter(mask))
                )
                frames[index] = frame.filter(~mask)
        reports.append(merged)
        kept_rows[role] = [row for f in frames for row in f.drop(ROW).to_dicts()]
    return judge(spec, reports, skip), kept_rows


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def as_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
    return buffer.getvalue().encode()
