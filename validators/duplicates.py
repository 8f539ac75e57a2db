"""Exact duplicates across a whole file, from the row hashes of its chunks (in file order)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from validators.parsing.common import ROW


@dataclass(frozen=True)
class ChunkDuplicates:
    positions: list[int]  # 0-based positions among the chunk's valid rows, to drop
    first_row: int | None  # the smallest file-wide row number among them


def in_bucket(frame: pl.DataFrame, buckets: int, bucket: int) -> pl.DataFrame:
    """The rows of one of `buckets` hash partitions, with their positions. Equal rows share
    h1, so they always meet in the same bucket: buckets can be searched one at a time."""
    indexed = frame.with_row_index("position")
    return indexed if buckets == 1 else indexed.filter(pl.col("h1") % buckets == bucket)


def find_duplicates(
    chunk_hashes: list[pl.DataFrame], row_offsets: list[int]
) -> list[ChunkDuplicates]:
    """For each chunk, the valid rows that repeat an earlier row of the file (first one kept).

    `chunk_hashes[i]` has columns h1, h2, ROW (local row numbers) in the order of the chunk's
    valid rows, and optionally `position` (the row's index among them, when the frame is a
    subset); `row_offsets[i]` is the number of rows in the file before chunk i."""
    if not chunk_hashes:
        return []
    tagged = [
        frame.with_columns(
            pl.lit(index, dtype=pl.UInt32).alias("chunk"),
            pl.col("position")
            if "position" in frame.columns
            else pl.int_range(pl.len(), dtype=pl.UInt32).alias("position"),
        )
        for index, frame in enumerate(chunk_hashes)
    ]
    combined = pl.concat(tagged, how="vertical_relaxed")
    if (
        combined.height == 0 or combined["h1"].n_unique() == combined.height
    ):  # the usual case, and 4x cheaper to check
        return [ChunkDuplicates([], None) for _ in chunk_hashes]
    repeated = combined.filter(~pl.struct("h1", "h2").is_first_distinct())
    result = []
    for index, offset in enumerate(row_offsets):
        mine = repeated.filter(pl.col("chunk") == index)
        rows = mine[ROW]
        result.append(
            ChunkDuplicates(
                mine["position"].to_list(), int(rows.min()) + offset if len(rows) else None
            )
        )
    return result
