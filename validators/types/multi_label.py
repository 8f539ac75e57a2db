"""multi-label-classification-finetune-input: any number of labels per text (possibly none).

In CSV the labels of a row sit in one column, as a JSON array or separated by commas."""

from validators.spec import (
    DatasetSpec,
    Field,
    FieldKind,
    LabelRules,
    MinExamples,
    no_blank_items,
    not_empty,
    present,
)

SPEC = DatasetSpec(
    name="multi-label-classification-finetune-input",
    fields=(Field("text"), Field("label", FieldKind.STRING_LIST)),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(present("text"), not_empty("text"), present("label"), no_blank_items("label")),
    min_examples=MinExamples(train=40, eval=24),
    labels=LabelRules("label", min_per_label=5, min_labels=2),
)
