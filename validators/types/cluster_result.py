"""cluster-result: what a clustering job wrote, one cluster per row: an `id`, and optionally
its `description`, `keywords`, `size` and `sample_elements`. The public record of these
(retired) jobs is thin, so only the `id` is required."""

import polars as pl

from validators.kinds import INTEGER, STRING_LIST
from validators.spec import DatasetSpec, Field, RowRule, not_empty, present


def _not_negative(field: str) -> pl.Expr:
    return pl.col(field).is_null() | (pl.col(field) >= 0)


SPEC = DatasetSpec(
    name="cluster-result",
    description="A clustering job's clusters: an `id` per row, with optional `description`, "
    "`keywords`, `size`, `sample_elements`.",
    fields=(
        Field("id"),
        Field("description", required=False),
        Field("keywords", STRING_LIST, required=False),
        Field("size", INTEGER, required=False),
        Field("sample_elements", STRING_LIST, required=False),
    ),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(
        present("id"),
        not_empty("id"),
        RowRule("size|not_negative", "size", "must not be negative", _not_negative),
    ),
)
