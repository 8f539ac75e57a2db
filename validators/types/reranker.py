"""reranker-finetune-input: queries with relevant passages and optional hard negatives."""

import polars as pl

from validators.kinds import STRING_LIST
from validators.spec import (
    DatasetSpec,
    DistinctAtLeast,
    Field,
    Fields,
    RowRule,
    Total,
    list_length,
    no_blank_items,
    not_empty,
    not_empty_list,
    present,
    row_count,
)


def _disjoint(field: str) -> pl.Expr:
    """No passage is both relevant and a hard negative."""
    negatives = pl.col("hard_negatives").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    return pl.col(field).list.set_intersection(negatives).list.len() == 0


SPEC = DatasetSpec(
    name="reranker-finetune-input",
    description="Rerank fine-tuning: a `query`, its `relevant_passages` and optional "
    "`hard_negatives`.",
    fields=(
        Field("query"),
        Field("relevant_passages", STRING_LIST),
        Field("hard_negatives", STRING_LIST, required=False),
    ),
    formats=frozenset({"jsonl"}),
    row_rules=(
        present("query"),
        not_empty("query"),
        present("relevant_passages"),
        not_empty_list("relevant_passages"),
        no_blank_items("relevant_passages"),
        no_blank_items("hard_negatives"),
        RowRule(
            "relevant_passages|disjoint_from_hard_negatives",
            "relevant_passages",
            "shares a passage with 'hard_negatives'",
            _disjoint,
        ),
    ),
    # Cohere: "the minimum number of labeled examples is 256" - counted as unique queries
    dataset_rules=(DistinctAtLeast("query", train=256, eval=64),),
    eval_split=0.2,
    totals=(
        Total("queries", row_count),
        Total("relevant_passages", list_length("relevant_passages")),
        Total("hard_negatives", list_length("hard_negatives")),
    ),
    metrics_group="reranker_data_metrics",
    tokens=Fields(("query", "relevant_passages", "hard_negatives")),
)
