"""Kinds of one value: a string, a whole number."""

from __future__ import annotations

from typing import Annotated

import msgspec
import polars as pl

from validators.kinds.base import FieldKind
from validators.shapes import Problem, json_type_name


class Text(FieldKind):
    name = "string"
    dtype = pl.String

    def avro_type(self) -> object:
        return "string"

    def describe(self) -> str:
        return "a string"

    def decoded_type(self) -> object:
        return str

    def problem(self, value: object) -> Problem | None:
        if isinstance(value, str):
            return None
        return self.type_problem(f"must be a string, got {json_type_name(value)}")


class Whole(FieldKind):
    """A whole number (a cluster's size): polars Int64, Avro long."""

    name = "integer"
    dtype = pl.Int64
    gated = True

    def avro_type(self) -> object:
        return "long"

    def describe(self) -> str:
        return "an integer"

    def decoded_type(self) -> object:
        return Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]

    def example(self, seed: str) -> object:
        return len(seed)

    def problem(self, value: object) -> Problem | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return self.type_problem(f"must be an integer, got {json_type_name(value)}")

    def from_csv_cell(self, cell: str) -> tuple[object, Problem | None]:
        if not cell.strip():
            return None, None  # an empty cell: absent
        try:
            return int(cell.strip()), None
        except ValueError:
            return None, self.type_problem(f"must be an integer, got {cell[:40]!r}")
