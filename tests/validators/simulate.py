"""The worker pipeline in memory (plan -> chunks -> merge -> duplicates -> judge), using only
validators/, so rules can be tested over any chunk size without Redis or Celery."""

from __future__ import annotations

import csv
import io
import json

import polars as pl

from validators.cutting import cut_whole
from validators.engine import RuleOptions, evaluate_chunk, read_chunk
from validators.finish import finish
from validators.parsing import ROW, ParseOptions
from validators.registry import spec_for
from validators.report import merge
from validators.schema import kept_fields
from validators.settle import row_hashes
from validators.tokens.sources import TokenOptions, without_facts


def _chunks(data: bytes, fmt: str, chunk_bytes: int) -> tuple[bytes, list[bytes]]:
    start, cuts = cut_whole([data], fmt, chunk_bytes)
    edges = [start, *cuts, len(data)]
    pieces = [data[a:b] for a, b in zip(edges, edges[1:], strict=False) if b > a]
    return data[:start], pieces


class MemoryChunks:
    """finish()'s view of the chunks, in memory: rows per role, chunk and side."""

    def __init__(self, spec) -> None:
        self.spec = spec
        self.seen: dict[str, list[int]] = {}
        self.frames: dict[str, list[pl.DataFrame]] = {}
        self.hash_frames: dict[str, list[pl.DataFrame]] = {}
        self.sides: dict[str, list[dict[str, pl.DataFrame]]] = {}

    def add(self, role: str, seen: list[int], frames: list[pl.DataFrame]) -> None:
        self.seen[role] = seen
        self.frames[role] = frames
        self.hash_frames[role] = [row_hashes(self.spec, f) for f in frames]
        self.sides[role] = [{role: without_facts(f.drop(ROW))} for f in frames]  # as stored

    def chunk_count(self, role: str) -> int:
        return len(self.seen[role])

    def rows_seen(self, role: str, chunk: int) -> int:
        return self.seen[role][chunk]

    def hashes(self, role: str, chunk: int) -> pl.DataFrame | None:
        return self.hash_frames[role][chunk]

    def rows(self, role: str, chunk: int) -> pl.DataFrame | None:
        return self.sides[role][chunk][role]

    def replace(self, role: str, chunk: int, sides: dict[str, pl.DataFrame]) -> None:
        self.sides[role][chunk] = sides

    def kept(self) -> dict[str, list[dict]]:
        rows: dict[str, list[dict]] = {}
        for per_chunk in self.sides.values():
            for sides in per_chunk:
                for side, frame in sides.items():
                    rows.setdefault(side, []).extend(frame.to_dicts())
        return rows


def validate(
    dataset_type: str,
    files: dict[str, tuple[str, bytes]],
    chunk_bytes: int = 1 << 30,
    skip: bool = False,
    keep: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    outcome: bool = False,
    tokens: TokenOptions = TokenOptions(),
):
    """files: role -> (format, bytes). Returns the verdict and the kept rows per side (and,
    with `outcome`, finish()'s whole outcome instead of the verdict)."""
    spec = spec_for(dataset_type)
    fields = tuple(kept_fields(spec, list(keep), list(optional)))
    reports = []
    memory = MemoryChunks(spec)
    for role, (fmt, data) in files.items():
        header, pieces = _chunks(data, fmt, chunk_bytes)
        options = ParseOptions(fmt, fields, spec.field_kinds, csv_header=header)
        chunk_reports, frames = [], []
        for index, piece in enumerate(pieces):
            first = index == 0 and fmt != "csv"  # CSV data starts after its header
            parsed = read_chunk(spec, piece, options, at_file_start=first)
            report, valid = evaluate_chunk(spec, parsed, RuleOptions(fmt, keep, tokens))
            chunk_reports.append(report)
            frames.append(valid)
        merged = merge(spec, role, chunk_reports)
        read = merged.chunks_read
        memory.add(role, [r.rows_seen for r in chunk_reports[:read]], frames[:read])
        reports.append(merged)
    result = finish(spec, reports, memory, skip)
    return (result if outcome else result.verdict), memory.kept()


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def as_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
    return buffer.getvalue().encode()
