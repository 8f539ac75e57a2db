"""A nested JSON value checked against a declared shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import polars as pl

from validators.kinds.base import FieldKind, raw_given
from validators.shapes import NotCompiled, Problem, Rules, Shape


@dataclass(frozen=True)
class Shaped(FieldKind):
    """A nested JSON value checked against a declared shape (a request body, embeddings).

    Stored as JSON text (an Avro string), the line's own text of the value: its keys vary from
    row to row, which neither a polars column nor an Avro record can hold without inventing
    nulls. polars can't check it: rows are decoded by its compiled msgspec type.
    """

    shape: Shape
    name = "json"
    dtype = pl.String
    fast_path = False
    stores_json_text = True

    def avro_type(self) -> object:
        return "string"

    def describe(self) -> str:
        return self.shape.describe() + " (stored as JSON text)"

    def accepts_dtype(self, dtype: pl.DataType | None) -> bool:
        return False

    def example(self, seed: str) -> object:
        return self.shape.example(seed)

    def problem(self, value: object) -> Problem | None:
        return self.shape.problem(value)

    def decoded_type(self) -> object:
        return self.shape.decoded_type()

    def decoded_field(self) -> tuple[object, object]:
        """Kept as the line's own JSON text (msgspec.Raw), checked by the compiled shape."""
        return msgspec.Raw, msgspec.Raw()

    def finisher(self) -> Callable[[list], list]:
        """Each value's own text, checked by the compiled shape: all of a column's texts in
        one call (a text holds no newline: its line had none)."""
        try:
            check_lines = msgspec.json.Decoder(self.decoded_type()).decode_lines
        except TypeError as exc:  # a union msgspec can't tell apart
            raise NotCompiled(str(exc)) from exc

        def finish(column: list[msgspec.Raw]) -> list[str | None]:
            given = [raw_given(raw) for raw in column]
            if any(given):
                check_lines(b"\n".join(r for r, there in zip(column, given, strict=True) if there))
            return [
                str(raw, "utf-8") if there else None
                for raw, there in zip(column, given, strict=True)
            ]

        return finish

    def from_csv_cell(self, cell: str) -> tuple[object, Problem | None]:
        try:
            value = json.loads(cell)
        except ValueError:
            return None, Problem("", "", "json", "is not valid JSON")
        found = self.problem(value)
        return (None, found) if found else (cell.strip(), None)

    def rules(self) -> Rules:
        return self.shape.rules()
