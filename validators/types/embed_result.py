"""embed-result: what an embed job writes: each input `text` with its `embeddings`, an object
of embedding type -> a list of numbers (a base64 string for the `base64` type)."""

from validators.kinds import Shaped
from validators.shapes import Either, ListOf, MapOf, Num, Str
from validators.spec import DatasetSpec, Field, not_empty, present
from validators.types.batch_embed_v2 import EMBEDDING_TYPES

EMBEDDINGS = MapOf(
    Either((ListOf(Num(), 1), Str(non_blank=True))), keys=EMBEDDING_TYPES, min_keys=1
)

SPEC = DatasetSpec(
    name="embed-result",
    description="An embed job's output: each `text` with its `embeddings` by embedding type.",
    fields=(Field("text"), Field("embeddings", Shaped(EMBEDDINGS))),
    formats=frozenset({"jsonl"}),
    row_rules=(present("text"), not_empty("text"), present("embeddings")),
)
