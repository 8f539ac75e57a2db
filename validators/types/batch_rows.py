"""What every batch input row shares: a `custom_id`, unique in its file, and a `body`."""

from typing import Any

from validators.kinds import Shaped
from validators.shapes import Obj, Str
from validators.spec import (
    DatasetSpec,
    Field,
    MinExamples,
    RowRule,
    UniqueValues,
    not_empty,
    present,
)

# An image given by URL (a data URI or https), in chat content blocks of both APIs.
IMAGE_URL_BLOCK = Obj(
    {
        "image_url": Obj(
            {"url": Str(non_blank=True)}, {"detail": Str(choices=("auto", "low", "high"))}
        )
    }
)
MODEL_REFUSED = "is set once for the whole batch, not in each request"
# What a Cohere batch request body may not say: the batch names the model; results are stored.
COHERE_REFUSED = {
    "model": MODEL_REFUSED,
    "stream": "can't be used in a batch: its results are written to a dataset",
}


def batch_fields(body: Obj) -> tuple[Field, ...]:
    return (Field("custom_id"), Field("body", Shaped(body)))


def batch_row_rules() -> tuple[RowRule, ...]:
    return (present("custom_id"), not_empty("custom_id"), present("body"))


UNIQUE_CUSTOM_ID = UniqueValues("custom_id")


def batch_spec(
    name: str,
    description: str,
    body: Obj,
    fields: tuple[Field, ...] = (),
    row_rules: tuple[RowRule, ...] = (),
    **more: Any,
) -> DatasetSpec:
    """A batch input type: JSONL rows of a unique `custom_id` and a `body` of this shape
    (and `fields`, `row_rules` of its own)."""
    return DatasetSpec(
        name=name,
        description=description,
        fields=(*batch_fields(body), *fields),
        formats=frozenset({"jsonl"}),
        row_rules=(*batch_row_rules(), *row_rules),
        dataset_rules=(MinExamples(train=1), UNIQUE_CUSTOM_ID),
        drops_duplicates=False,
        token_metric="input_token_count",
        **more,
    )
