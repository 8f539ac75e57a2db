"""single-label-classification-finetune-input: one label per text."""

from validators.spec import DatasetSpec, Field, LabelRules, MinExamples, not_empty, present

SPEC = DatasetSpec(
    name="single-label-classification-finetune-input",
    fields=(Field("text"), Field("label")),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(present("text"), not_empty("text"), present("label"), not_empty("label")),
    min_examples=MinExamples(train=40, eval=24),
    labels=LabelRules("label", min_per_label=5, min_labels=2),
)
