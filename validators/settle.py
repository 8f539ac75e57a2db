"""File-wide judgements that no single chunk can make, from the hashes each chunk wrote for its
valid rows: exact duplicates, values that must be unique (a batch's custom_id), distinct
counts (the reranker's unique queries), and eval rows that also appear in train (leakage).

Memory stays bounded whatever the file size: rows are compared bucket by bucket (equal values
share their first hash, so they always meet in the same bucket).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from validators.findings import Finding
from validators.parsing import ROW
from validators.spec import DatasetSpec, UniqueValues

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
    goes to eval (by a hash of the type's own fields, whose dtypes never vary by chunk)."""
    values = frame.drop(ROW).with_columns(
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
    return values.select(columns).with_columns(frame[ROW])


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


@dataclass
class Settlement:
    """What the file-wide comparisons found in one file."""

    drops: list[set[int]]  # per chunk: positions among its valid rows to take out
    duplicates: int = 0
    first_duplicate_row: int | None = None
    duplicate_pairs: list[tuple[int, int]] = field(default_factory=list)  # (row, first row)
    clashes: list[Finding] = field(default_factory=list)
    distinct: dict[str, int] = field(default_factory=dict)


def settle_file(spec: DatasetSpec, hashes: FileHashes, drop_clashes: bool) -> Settlement:
    """Exact duplicates (dropped, unless the type keeps every row), then, among the remaining
    rows, clashes of unique fields (findings; dropped too with skip_malformed_input) and
    distinct counts."""
    result = Settlement([set() for _ in hashes.offsets])
    duplicate_rows: list[int] = []
    for bucket in range(hashes.buckets if spec.drops_duplicates else 0):
        found = repeats(hashes.bucket("h1", bucket), ROW_KEY)
        _drop(result, found)
        duplicate_rows.extend(found["row"].to_list())
        result.duplicate_pairs.extend(found.select("row", "first_row").iter_rows())
    result.duplicates = len(duplicate_rows)
    result.first_duplicate_row = min(duplicate_rows, default=None)
    result.duplicate_pairs.sort()
    for name in spec.key_fields:
        key = key_columns(name)
        unique = any(isinstance(r, UniqueValues) and r.field == name for r in spec.dataset_rules)
        distinct = 0
        for bucket in range(hashes.buckets):
            rows = _kept(hashes.bucket(key[0], bucket), result.drops)
            distinct += rows.select(pl.struct(list(key)).n_unique()).item() if rows.height else 0
            if unique:
                clashing = repeats(rows, key)
                result.clashes.extend(_clash_findings(name, clashing))
                if drop_clashes:
                    _drop(result, clashing)
        result.distinct[name] = distinct
    result.clashes.sort()
    return result


def _drop(result: Settlement, rows: pl.DataFrame) -> None:
    for chunk, position in rows.select("chunk", "position").iter_rows():
        result.drops[chunk].add(position)


def _kept(rows: pl.DataFrame, drops: list[set[int]]) -> pl.DataFrame:
    if rows.height == 0 or not any(drops):
        return rows
    dropped = pl.DataFrame(
        [(chunk, position) for chunk, positions in enumerate(drops) for position in positions],
        schema={"chunk": pl.UInt32, "position": pl.UInt32},
        orient="row",
    )
    return rows.join(dropped, on=["chunk", "position"], how="anti")


def _clash_findings(name: str, clashing: pl.DataFrame) -> list[Finding]:
    return [
        Finding(
            row,
            name,
            f"has the same value as row {first}; each '{name}' must be unique in the file",
            f"{name}|unique",
        )
        for row, first in clashing.select("row", "first_row").iter_rows()
    ]


def leaked_rows(train: FileHashes, evaluation: FileHashes, drops: list[set[int]]) -> list[int]:
    """Rows of the eval file (file-wide numbers) equal to a row of the train file."""
    buckets = max(train.buckets, evaluation.buckets)
    leaked: list[int] = []
    for bucket in range(buckets):
        train_rows = train.bucket("h1", bucket, buckets).select(ROW_KEY)
        eval_rows = _kept(evaluation.bucket("h1", bucket, buckets), drops)
        if train_rows.height and eval_rows.height:
            leaked += eval_rows.join(train_rows.unique(), on=list(ROW_KEY))["row"].to_list()
    return sorted(leaked)
