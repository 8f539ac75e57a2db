"""Drop exact duplicates across a whole file at finalize: read the chunks' row hashes, find the
repeats, rewrite the (few) parts that hold them, and report what was removed."""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from store.blobs import BlobStore
from validators.aggregates import Tally, tally
from validators.duplicates import find_duplicates
from validators.report import FileReport
from validators.spec import DatasetSpec
from workers.parts import rewrite_part


def write_hashes(blobs: BlobStore, key: str, hashes: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    hashes.write_ipc(buffer)
    writer = blobs.open_writer(key)
    writer.write(buffer.getvalue())
    writer.commit()


def _read_hashes(blobs: BlobStore, key: str | None) -> pl.DataFrame:
    if key is None:
        return pl.DataFrame(schema={"h1": pl.UInt64, "h2": pl.UInt64, "__row": pl.UInt32})
    return pl.read_ipc(io.BytesIO(blobs.read_range(key, 0, blobs.size(key))))


def drop_duplicates(
    blobs: BlobStore, spec: DatasetSpec, report: FileReport, chunk_reports: list[dict[str, Any]]
) -> None:
    """Remove repeated rows from the parts of one file's chunks (given in file order) and take
    them out of `report`. Updates the `part` entries of `chunk_reports` in place."""
    hashes = [_read_hashes(blobs, chunk.get("hashes_key")) for chunk in chunk_reports]
    offsets, seen = [], 0
    for chunk in chunk_reports:
        offsets.append(seen)
        seen += chunk["rows_seen"]
    removed = Tally()
    count, first_row = 0, None
    for chunk, found in zip(chunk_reports, find_duplicates(hashes, offsets), strict=True):
        if not found.positions:
            continue
        count += len(found.positions)
        first_row = found.first_row if first_row is None else min(first_row, found.first_row)
        if chunk.get("part"):
            removed.add(tally(spec, rewrite_part(blobs, chunk["part"], found.positions)))
            if chunk["part"]["num_rows"] == 0:
                blobs.delete_prefix(chunk["part"]["key"])
                chunk["part"] = None
    if count:
        report.drop_duplicates(count, first_row, removed)
