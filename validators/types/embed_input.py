"""embed-input: texts to embed. One required string field, `text`, never empty."""

from validators.spec import DatasetSpec, Field, MinExamples, not_empty, present

SPEC = DatasetSpec(
    name="embed-input",
    fields=(Field("text"),),
    formats=frozenset({"jsonl", "csv", "txt"}),
    row_rules=(present("text"), not_empty("text")),
    min_examples=MinExamples(train=1),
)
