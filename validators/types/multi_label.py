"""multi-label-classification-finetune-input: any number of labels per text (possibly none).

In CSV (a Sieve extension: Cohere takes JSONL only) the labels of a row sit in one column, as
a JSON array or separated by commas."""

from validators.kinds import STRING_LIST
from validators.spec import (
    DatasetSpec,
    Field,
    Fields,
    LabelRules,
    MinExamples,
    no_blank_items,
    not_empty,
    present,
)

SPEC = DatasetSpec(
    name="multi-label-classification-finetune-input",
    description="Classification fine-tuning: a `text` and a list of labels (maybe none) per row.",
    fields=(Field("text"), Field("label", STRING_LIST)),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(present("text"), not_empty("text"), present("label"), no_blank_items("label")),
    dataset_rules=(
        MinExamples(train=40, eval=24),
        LabelRules("label", min_per_label=5, min_labels=2, one_per_row=False),
    ),
    eval_split=0.2,
    example_row=lambda i, prefix: {
        "text": f"{prefix}text {i}",
        "label": [["a"], ["b", "c"], []][i % 3],
    },
    tokens=Fields(("text", "label")),
)
