"""The full validation report over the blobs: each chunk's findings written as it is
validated, the file-wide ones at finalize, and the whole read back as report lines in file and
row order (validators/full_report.py holds the pure parts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from store.blobs import BlobStore, write_blob
from store.records import DatasetRecord
from store.removal import findings_key
from validators.full_report import (
    file_wide_counts,
    file_wide_findings,
    read_findings,
    report_frame,
)
from validators.registry import spec_for
from validators.report import FileReport
from workers.planning import Chunk


def report_index(
    blobs: BlobStore,
    record: DatasetRecord,
    chunks: list[Chunk],
    reports: dict[int, dict],
    files: list[FileReport],
) -> dict[str, Any]:
    """Write each file's file-wide findings; where every finding of the dataset is (each
    chunk's blob with the rows and lines before it, and whether its rows are one line each),
    and the counts by rule, for the record."""
    spec = spec_for(record.dataset_type)
    index: dict[str, Any] = {"files": {}, "rule_counts": {}, "findings": 0}
    for report in files:
        role = report.role
        entries, offset, line = [], 0, None
        for chunk in [c for c in chunks if c.role == role][: report.chunks_read]:
            found = reports[chunk.index]
            if line is None and "lines_seen" in found:  # not in a report from before lines
                line = found["header_lines"]
            one_line_each = found.get("lines_seen") == found["rows_seen"]
            entries.append([found.get("findings_key"), offset, line, one_line_each])
            offset += found["rows_seen"]
            line = line + found["lines_seen"] if line is not None else None
        wide, wide_key = file_wide_findings(spec, report), None
        if wide.height:
            wide_key = findings_key(record.id, role, "file")
            write_blob(blobs, wide_key, wide.write_ndjson().encode())
        counts = report.rule_counts + file_wide_counts(spec, report)
        index["files"][role] = {"chunks": entries, "file_wide": wide_key}
        index["rule_counts"][role] = dict(counts)
        index["findings"] += sum(counts.values())
    return index


def read_report(
    blobs: BlobStore,
    record: DatasetRecord,
    code: str | None = None,
    file: str | None = None,
    limit: int | None = None,
) -> Iterator[pl.DataFrame]:
    """Every finding as the report's rows (or those of one rule, one file, the first `limit`),
    file by file (train, then eval), in row order, then the file-wide ones: one chunk's
    findings in memory at a time."""
    index = record.report or {"files": {}}
    skip = record.options.skip_malformed_input
    left = limit
    for role, entry in index["files"].items():
        if file not in (None, role) or (code and not index["rule_counts"][role].get(code)):
            continue
        filename = record.files[role].name if role in record.files else role
        keys = [(key, offset, _line_offset(rest)) for key, offset, *rest in entry["chunks"] if key]
        if entry["file_wide"]:
            keys.append((entry["file_wide"], 0, 0))
        for key, offset, line_offset in keys:
            found = read_findings(blobs.read_range(key, 0, blobs.size(key)))
            if key == entry["file_wide"]:
                found = _with_file_lines(found, entry["chunks"])
            if code:
                found = found.filter(pl.col("rule") == code)
            if left is not None:
                found = found.head(left)
                left -= found.height
            if found.height:
                yield report_frame(found, offset, role, filename, skip, line_offset)
            if left == 0:
                return


def _line_offset(entry_rest: list) -> int | None:
    """The lines of the file before a chunk (None: a report from before lines were kept)."""
    return entry_rest[0] if entry_rest else None


def _with_file_lines(found: pl.DataFrame, chunks: list[list]) -> pl.DataFrame:
    """File-wide findings (rows of the whole file) with the line each row starts on, where
    its chunk has one line per row (else null: a CSV cell over several lines)."""
    table = pl.DataFrame(
        [(offset, rest[0], rest[1]) for _, offset, *rest in chunks if rest and rest[0] is not None],
        schema={"offset": pl.Int64, "lines_before": pl.Int64, "one_line_each": pl.Boolean},
        orient="row",
    )
    if table.height == 0 or found.height == 0:
        return found
    at = (pl.col("row") - 1).alias("_at")  # a row's chunk: the last one starting before it
    placed = found.with_row_index("_order").with_columns(at).sort("_at")
    placed = placed.join_asof(table.sort("offset"), left_on="_at", right_on="offset")
    line = pl.when(pl.col("one_line_each")).then(
        pl.col("row") - pl.col("offset") + pl.col("lines_before")
    )
    return placed.with_columns(line.alias("line")).sort("_order").select(found.columns)
