"""Drop exact duplicates across a whole file at finalize: read the chunks' row hashes, find the
repeats, rewrite the (few) parts that hold them, and report what was removed."""

from __future__ import annotations

import io
import math
from typing import Any

import polars as pl

from store.blobs import BlobStore
from validators.aggregates import Tally, tally
from validators.duplicates import find_duplicates, in_bucket
from validators.parsing import ROW
from validators.report import FileReport
from validators.spec import DatasetSpec
from workers.parts import rewrite_part

ROWS_PER_PASS = 2_000_000  # ~20 bytes a row: about 40 MB of hashes held at a time


def write_hashes(blobs: BlobStore, key: str, hashes: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    hashes.write_ipc(buffer)
    writer = blobs.open_writer(key)
    writer.write(buffer.getvalue())
    writer.commit()


def _read_hashes(blobs: BlobStore, key: str | None) -> pl.DataFrame:
    if key is None:
        return pl.DataFrame(schema={"h1": pl.UInt64, "h2": pl.UInt64, ROW: pl.UInt32})
    return pl.read_ipc(io.BytesIO(blobs.read_range(key, 0, blobs.size(key))))


def drop_duplicates(
    blobs: BlobStore, spec: DatasetSpec, report: FileReport, chunk_reports: list[dict[str, Any]]
) -> None:
    """Remove repeated rows from the parts of one file's chunks (given in file order) and take
    them out of `report`. Updates the `part` entries of `chunk_reports` in place."""
    offsets, seen = [], 0
    for chunk in chunk_reports:
        offsets.append(seen)
        seen += chunk["rows_seen"]
    positions: list[list[int]] = [[] for _ in chunk_reports]
    first_rows: list[int] = []
    buckets = max(1, math.ceil(sum(c["rows_valid"] for c in chunk_reports) / ROWS_PER_PASS))
    for bucket in range(buckets):  # memory: one bucket of hashes, whatever the file size
        hashes = [
            in_bucket(_read_hashes(blobs, chunk.get("hashes_key")), buckets, bucket)
            for chunk in chunk_reports
        ]
        for index, found in enumerate(find_duplicates(hashes, offsets)):
            positions[index].extend(found.positions)
            first_rows.extend([found.first_row] if found.first_row is not None else [])
    removed = Tally()
    for chunk, drop in zip(chunk_reports, positions, strict=True):
        if drop and chunk.get("part"):
            removed.add(tally(spec, rewrite_part(blobs, chunk["part"], sorted(drop))))
            if chunk["part"]["num_rows"] == 0:
                blobs.delete_prefix(chunk["part"]["key"])
                chunk["part"] = None
    count = sum(len(drop) for drop in positions)
    if count:
        report.drop_duplicates(count, min(first_rows), removed)
