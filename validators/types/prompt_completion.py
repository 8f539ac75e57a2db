"""prompt-completion-finetune-input: generative fine-tuning pairs."""

from validators.spec import DatasetSpec, Field, Fields, MinExamples, not_empty, present

SPEC = DatasetSpec(
    name="prompt-completion-finetune-input",
    description="Generative fine-tuning pairs: a non-empty `prompt` and `completion` per row.",
    fields=(Field("prompt"), Field("completion")),
    formats=frozenset({"jsonl", "csv"}),
    row_rules=(
        present("prompt"),
        not_empty("prompt"),
        present("completion"),
        not_empty("completion"),
    ),
    # unique examples: exact duplicates are dropped before counting
    dataset_rules=(MinExamples(train=32, with_eval=16, eval=1),),
    eval_split=0.2,
    tokens=Fields(("prompt", "completion")),
)
