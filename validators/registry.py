"""Every supported dataset type. Adding a type = one module in validators/types + one line here."""

from __future__ import annotations

from validators.spec import DatasetSpec
from validators.types import (
    batch_chat_v1,
    batch_chat_v2,
    batch_embed_v2,
    batch_openai_chat,
    chat,
    cluster_outliers,
    cluster_result,
    embed_input,
    embed_result,
    multi_label,
    prompt_completion,
    reranker,
    single_label,
)

SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        embed_input.SPEC,
        embed_result.SPEC,
        cluster_result.SPEC,
        cluster_outliers.SPEC,
        prompt_completion.SPEC,
        single_label.SPEC,
        multi_label.SPEC,
        reranker.SPEC,
        chat.SPEC,
        batch_embed_v2.SPEC,
        batch_chat_v2.SPEC,
        batch_chat_v1.SPEC,
        batch_openai_chat.SPEC,
    )
}


def supported_types() -> list[str]:
    return sorted(SPECS)


def spec_for(dataset_type: str) -> DatasetSpec | None:
    return SPECS.get(dataset_type)
