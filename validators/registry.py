"""Every supported dataset type. Adding a type = one module in validators/types + one line here."""

from __future__ import annotations

from validators.spec import DatasetSpec
from validators.types import (
    chat,
    embed_input,
    multi_label,
    prompt_completion,
    reranker,
    single_label,
)

SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        embed_input.SPEC,
        prompt_completion.SPEC,
        single_label.SPEC,
        multi_label.SPEC,
        reranker.SPEC,
        chat.SPEC,
    )
}


def supported_types() -> list[str]:
    return sorted(SPECS)


def spec_for(dataset_type: str) -> DatasetSpec | None:
    return SPECS.get(dataset_type)
