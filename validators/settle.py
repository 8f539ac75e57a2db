"""The hashes each chunk writes for its valid rows, and how the file-wide rules read them
back (validators.rules: exact duplicates, values that must be unique, distinct counts, eval
rows that also appear in train) — what no single chunk can judge.

Memory stays bounded whatever the file size: rows are compared bucket by bucket (equal values
share their first hash, so they always meet in the same bucket).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from validators.parsing import ROW
from validators.tokens.sources import fact_columns, without_facts

if TYPE_CHECKING:
    from validators.spec import DatasetSpec

HASH_SEEDS = (0x5EED, 0xB0B)  # two 64-bit hashes: collisions ~never
SPLIT_SEED = 0x5917
ROWS_PER_PASS = 2_000_000  # ~20 bytes a row: about 40 MB of hashes held at a time
ROW_KEY = ("h1", "h2")
EVAL = "to_eval"


def key_columns(name: str) -> tuple[str, str]:
    return (f"{name}#1", f"{name}#2")


def row_hashes(spec: DatasetSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Per valid row, in order: two hashes of the kept fields (row numbers excluded), two of
    each key field's value, the row number and, for types with an eval split, whether the row
    goes to eval (by a hash of the type's own fields, whose dtypes never vary by chunk), and
    the row's token facts."""
    values = without_facts(frame.drop(ROW)).with_columns(
        pl.col(name).map_elements(_json_text, return_dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype == pl.Object
    )
    row = pl.struct(values.columns)
    columns = [row.hash(HASH_SEEDS[0]).alias("h1"), row.hash(HASH_SEEDS[1]).alias("h2")]
    for name in spec.key_fields:
        first, second = key_columns(name)
        columns += [pl.col(name).hash(HASH_SEEDS[0]).alias(first)]
        columns += [pl.col(name).hash(HASH_SEEDS[1]).alias(second)]
    if spec.eval_split:
        share = pl.struct(spec.field_names).hash(SPLIT_SEED) % 10_000
        columns.append((share < int(spec.eval_split * 10_000)).alias(EVAL))
    return values.select(columns).with_columns(frame[ROW], *frame.select(fact_columns(frame)))


def _json_text(value: object) -> str:
    return json.dumps(value, sort_keys=True)


HashLoader = Callable[[int], pl.DataFrame | None]  # chunk number -> its row hashes, if any


@dataclass
class FileHashes:
    """One file's chunks, in file order: how to load each one's hashes, and the rows before it."""

    load: HashLoader
    offsets: list[int]  # rows of the file before each chunk
    rows_valid: int
    key_fields: tuple[str, ...] = ()

    @property
    def buckets(self) -> int:
        return max(1, math.ceil(self.rows_valid / ROWS_PER_PASS))

    def bucket(self, column: str, bucket: int, buckets: int | None = None) -> pl.DataFrame:
        """Every chunk's rows whose `column` falls in `bucket` (of `buckets`): with the chunk
        number, the row's position among its chunk's valid rows, its file-wide row number."""
        buckets = buckets or self.buckets
        frames = []
        for index, offset in enumerate(self.offsets):
            loaded = self.load(index)
            if loaded is None or loaded.height == 0:
                continue
            frame = loaded.with_row_index("position")
            if buckets > 1:
                frame = frame.filter(pl.col(column) % buckets == bucket)
            frames.append(
                frame.with_columns(
                    pl.lit(index, dtype=pl.UInt32).alias("chunk"),
                    (pl.col(ROW).cast(pl.Int64) + offset).alias("row"),
                )
            )
        return pl.concat(frames, how="diagonal_relaxed") if frames else self._empty()

    def _empty(self) -> pl.DataFrame:
        keys = [c for name in self.key_fields for c in key_columns(name)]
        schema = {c: pl.UInt64 for c in [*ROW_KEY, *keys]}
        return pl.DataFrame(
            schema={**schema, "position": pl.UInt32, "chunk": pl.UInt32, "row": pl.Int64}
        )


def repeats(rows: pl.DataFrame, key: tuple[str, str]) -> pl.DataFrame:
    """The rows (in file order) whose key an earlier row already has, with `first_row`."""
    if rows.height == 0 or rows[key[0]].n_unique() == rows.height:  # the usual case: cheap
        return rows.clear().with_columns(pl.lit(0, dtype=pl.Int64).alias("first_row"))
    rows = rows.sort("row")
    firsts = rows.group_by(list(key), maintain_order=True).agg(
        pl.col("row").first().alias("first_row")
    )
    return rows.join(firsts, on=list(key)).filter(pl.col("row") != pl.col("first_row")).sort("row")
