"""cluster-outliers: the input rows a clustering job left out of every cluster: each keeps its
`text` (the other fields of the input can be kept with keep_fields)."""

from validators.spec import DatasetSpec, Field, present

SPEC = DatasetSpec(
    name="cluster-outliers",
    description="A clustering job's outliers: the input rows, each with its `text`.",
    fields=(Field("text"),),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(present("text"),),
)
