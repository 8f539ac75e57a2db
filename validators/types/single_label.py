"""single-label-classification-finetune-input: one label per text."""

from validators.spec import DatasetSpec, Field, Fields, LabelRules, MinExamples, not_empty, present

SPEC = DatasetSpec(
    name="single-label-classification-finetune-input",
    description="Classification fine-tuning: a `text` and its one `label` per row.",
    fields=(Field("text"), Field("label")),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(present("text"), not_empty("text"), present("label"), not_empty("label")),
    dataset_rules=(
        MinExamples(train=40, eval=24),
        LabelRules("label", min_per_label=5, min_labels=2),
    ),
    eval_split=0.2,
    example_row=lambda i, prefix: {"text": f"{prefix}text {i}", "label": "abc"[i % 3]},
    tokens=Fields(("text", "label")),
)
