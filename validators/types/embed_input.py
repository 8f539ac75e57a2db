"""embed-input: texts to embed. One required string field, `text`, never empty."""

from validators.spec import DatasetSpec, Field, Fields, not_empty, present

SPEC = DatasetSpec(
    name="embed-input",
    description="Texts for an embed job: one non-empty `text` per row.",
    fields=(Field("text"),),
    formats=frozenset({"jsonl", "csv", "txt"}),
    row_rules=(present("text"), not_empty("text")),
    tokens=Fields(("text",)),
    token_metric="input_token_count",
)
