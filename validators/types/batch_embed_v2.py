"""batch-embed-v2-input: one Embed v2 request per row, under `body`, without `model`.

Shaped after Cohere's Embed v2 API reference (and the cohere SDK 5's `embed` arguments)."""

from validators.shapes import Int, ListOf, Obj, Str, Tagged
from validators.spec import JsonTexts
from validators.types.batch_rows import (
    MODEL_REFUSED,
    batch_spec,
)

INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary", "base64")
MAX_TEXTS = 96

_CONTENT = Tagged(
    "type",
    {
        "text": Obj({"text": Str(non_blank=True)}),
        "image_url": Obj({"image_url": Obj({"url": Str(non_blank=True)})}),
    },
)
BODY = Obj(
    required={"input_type": Str(choices=INPUT_TYPES)},
    optional={
        "texts": ListOf(Str(non_blank=True), 1, MAX_TEXTS),
        "images": ListOf(Str(non_blank=True), 1, MAX_TEXTS),
        "inputs": ListOf(Obj({"content": ListOf(_CONTENT, 1)}), 1, MAX_TEXTS),
        "embedding_types": ListOf(Str(choices=EMBEDDING_TYPES), 1),
        "truncate": Str(choices=("NONE", "START", "END")),
        "output_dimension": Int(1),
        "max_tokens": Int(1),
        "priority": Int(0),
    },
    refused={"model": MODEL_REFUSED},
    one_of_keys=("texts", "images", "inputs"),
)

SPEC = batch_spec(
    "batch-embed-v2-input",
    "Batch embed requests: a unique `custom_id` and an Embed v2 request `body`.",
    BODY,
    tokens=JsonTexts("body", ("texts[]", "inputs[].content[].text")),
)
