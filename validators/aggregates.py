"""Numbers over a frame of valid rows that add up across chunks: label tallies, metric totals,
and the row hashes used to find exact duplicates across the whole file."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from validators.parsing import ROW
from validators.spec import DatasetSpec

HASH_SEEDS = (0x5EED, 0xB0B)  # two 64-bit hashes: collisions ~never


@dataclass
class Tally:
    labels: Counter = field(default_factory=Counter)  # label -> examples having it
    totals: Counter = field(default_factory=Counter)  # Total.name -> sum over rows

    def add(self, other: Tally) -> None:
        self.labels.update(other.labels)
        self.totals.update(other.totals)

    def remove(self, other: Tally) -> None:
        self.labels.subtract(other.labels)
        self.totals.subtract(other.totals)
        self.labels = +self.labels  # drop labels that reached zero


def tally(spec: DatasetSpec, frame: pl.DataFrame) -> Tally:
    result = Tally()
    if frame.height == 0:
        return result
    if spec.labels is not None:
        column = frame[spec.labels.field]
        if isinstance(column.dtype, pl.List):
            column = column.list.unique().explode()
        counts = column.drop_nulls().value_counts()
        result.labels = Counter(
            dict(zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True))
        )
    if spec.totals:
        sums = frame.select([total.per_row().sum().alias(total.name) for total in spec.totals])
        result.totals = Counter(
            {name: int(value) for name, value in sums.row(0, named=True).items()}
        )
    return result


def row_hashes(frame: pl.DataFrame) -> pl.DataFrame:
    """Two 64-bit hashes of every row's kept fields (row numbers excluded), in row order."""
    values = frame.drop(ROW).with_columns(
        pl.col(name).map_elements(_json_text, return_dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype == pl.Object
    )
    row = pl.struct(values.columns)
    return values.select(
        row.hash(HASH_SEEDS[0]).alias("h1"), row.hash(HASH_SEEDS[1]).alias("h2")
    ).with_columns(frame[ROW])


def _json_text(value: object) -> str:
    return json.dumps(value, sort_keys=True)
