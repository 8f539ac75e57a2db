"""Every supported dataset type. Adding a type = one module in validators/types + one line here."""

from __future__ import annotations

from validators.spec import DatasetSpec
from validators.types import embed_input

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (embed_input.SPEC,)}


def supported_types() -> list[str]:
    return sorted(SPECS)


def spec_for(dataset_type: str) -> DatasetSpec | None:
    return SPECS.get(dataset_type)
