"""Field kinds: each owns what its values look like in polars, in Avro, in raw JSON text, in a
CSV cell, and how a JSON value of the wrong shape is told apart.

A new kind of field is a new small class here; nothing else branches on kinds.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import msgspec
import polars as pl

from validators.shapes import NotCompiled, Problem, Rules, Shape, json_type_name

# Raw JSON that *may* hold a value of the wrong type for a kind. A match only sends the chunk
# down the exact (row by row) path; polars alone would coerce e.g. 5 into "5".
_NOT_A_STRING = r'"{name}"\s*:\s*[^"\s]'


def _suspect(pattern: str, name: str) -> re.Pattern[bytes]:
    return re.compile(pattern.replace("{name}", re.escape(name)).encode("utf-8"))


class FieldKind(ABC):
    name: str  # also the check name of its type rule: "text|string"
    dtype: pl.DataType
    fast_path = True  # polars may read the column directly when its dtype is trusted
    stores_json_text = False  # stored as the line's own JSON text of the value
    # polars' reading is trusted once msgspec checked the values (validators.parsing.compiled
    # TypeGate), not after `suspect_patterns`: for lists and numbers they cost more than that
    gated = False

    @abstractmethod
    def avro_type(self) -> object: ...

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def problem(self, value: object) -> Problem | None:
        """Why a non-null JSON value can't be this kind, or None."""

    def suspect_patterns(self, name: str) -> list[re.Pattern[bytes]]:
        return [_suspect(_NOT_A_STRING, name)]

    def accepts_dtype(self, dtype: pl.DataType | None) -> bool:
        """Whether a column polars inferred can be trusted to hold this kind."""
        return dtype is None or dtype == pl.Null or dtype == self.dtype

    def accepts_column(self, column: pl.Series) -> bool:
        """Whether polars' values can be trusted to be what the exact path reads."""
        return True

    def as_declared(self, name: str) -> pl.Expr:
        return pl.col(name).cast(self.dtype).alias(name)

    def normalised(self, value: object) -> object:
        return value

    def decoded_type(self) -> object:
        """The msgspec type of a non-null value (validators.shapes explains the contract)."""
        raise NotCompiled(self.name)

    def decoded_field(self) -> tuple[object, object]:
        """This field's msgspec type and default in a row's Struct: absent and null are None."""
        return self.decoded_type() | None, None

    def finisher(self) -> Callable[[list], list]:
        """From a column of decoded values (None: absent or null) to the stored ones, as
        `normalised` stores the same JSON; it raises msgspec.ValidationError where a second
        check refuses a value."""
        return _as_is

    def from_csv_cell(self, cell: str) -> tuple[object, Problem | None]:
        return cell, None

    def example(self, seed: str) -> object:
        """A valid value of the kind (row rules may ask more of it)."""
        return seed

    def type_problem(self, reason: str) -> Problem:
        return Problem("", "", self.name, reason)

    def rules(self) -> Rules:
        yield f"|{self.name}", f"is {self.describe()}", f"must be {self.describe()}, got ..."


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


class _ListCells(FieldKind):
    """A list kind whose CSV cell is a JSON array or comma-separated items."""

    def from_csv_cell(self, cell: str) -> tuple[object, Problem | None]:
        text = cell.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return None, self.type_problem("is not a valid JSON list")
            return value, self.problem(value)
        return [item.strip() for item in text.split(",") if item.strip()], None

    def accepts_dtype(self, dtype: pl.DataType | None) -> bool:
        if dtype is None or dtype == pl.Null:
            return True
        return isinstance(dtype, pl.List) and (dtype.inner == pl.Null or self._inner_ok(dtype))

    def _inner_ok(self, dtype: pl.List) -> bool:
        return dtype == self.dtype


class TextList(_ListCells):
    name = "string_list"
    dtype = pl.List(pl.String)
    gated = True

    def avro_type(self) -> object:
        return {"type": "array", "items": "string"}

    def describe(self) -> str:
        return "a list of strings"

    def decoded_type(self) -> object:
        return list[str]

    def example(self, seed: str) -> object:
        return [seed]

    def problem(self, value: object) -> Problem | None:
        if not isinstance(value, list):
            return self.type_problem(f"must be a list, got {json_type_name(value)}")
        bad = next((item for item in value if not isinstance(item, str)), None)
        if bad is None and all(isinstance(item, str) for item in value):
            return None
        return self.type_problem(f"must be a list of strings, got {json_type_name(bad)} in it")


@dataclass(frozen=True)
class Turns(_ListCells):
    """A conversation: a list of {role, content} objects (other keys are dropped)."""

    name = "messages"
    keys = ("role", "content")

    @property
    def dtype(self) -> pl.DataType:  # type: ignore[override]
        return pl.List(pl.Struct({key: pl.String for key in self.keys}))

    def avro_type(self) -> object:
        fields = [{"name": key, "type": "string"} for key in self.keys]
        return {"type": "array", "items": {"type": "record", "name": "Turn", "fields": fields}}

    def describe(self) -> str:
        return "a list of {" + ", ".join(f'"{key}": string' for key in self.keys) + "} objects"

    def suspect_patterns(self, name: str) -> list[re.Pattern[bytes]]:
        return [
            _suspect(r'"{name}"\s*:\s*(?:[^\[\s]|\[\s*[^{\s\]])', name),
            *(_suspect(_NOT_A_STRING, key) for key in self.keys),
        ]

    def accepts_column(self, column: pl.Series) -> bool:
        """polars reads a null turn as a null struct; the exact path refuses it."""
        if not isinstance(column.dtype, pl.List):
            return True
        return not column.list.eval(pl.element().is_null()).list.any().any()

    def _inner_ok(self, dtype: pl.List) -> bool:
        inner = dtype.inner
        fields = dict(inner.to_schema()) if isinstance(inner, pl.Struct) else {}
        return all(fields.get(key) == pl.String for key in self.keys)

    def as_declared(self, name: str) -> pl.Expr:
        element = pl.element().struct
        turn = pl.struct(*(element.field(key) for key in self.keys))
        return pl.col(name).list.eval(turn).cast(self.dtype).alias(name)

    def problem(self, value: object) -> Problem | None:
        if not isinstance(value, list):
            return self.type_problem(f"must be a list, got {json_type_name(value)}")
        for position, turn in enumerate(value, start=1):
            if not isinstance(turn, dict):
                reason = f"turn {position} must be an object, got {json_type_name(turn)}"
                return self.type_problem(reason)
            for key in self.keys:
                if turn.get(key) is not None and not isinstance(turn[key], str):
                    what = json_type_name(turn[key])
                    return self.type_problem(
                        f"turn {position} has a {key} that is {what}, not a string"
                    )
        return None

    def normalised(self, value: object) -> object:
        if isinstance(value, list):
            return [{key: turn.get(key) for key in self.keys} for turn in value]
        return value

    def decoded_type(self) -> object:
        turn = msgspec.defstruct("Turn", [(key, str | None, None) for key in self.keys], gc=False)
        return list[turn]  # type: ignore[valid-type]

    def finisher(self) -> Callable[[list], list]:
        keys = self.keys
        return lambda column: [
            None if turns is None else [{key: getattr(turn, key) for key in keys} for turn in turns]
            for turns in column
        ]


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


def raw_given(raw: msgspec.Raw) -> bool:
    """Whether a decoded Raw holds a value: not Raw() (the key absent) nor `null`."""
    return bool(raw) and not (len(raw) == 4 and bytes(raw) == b"null")


def _as_is(column: list) -> list:
    return column


INTEGER = Whole()
STRING = Text()
STRING_LIST = TextList()
MESSAGES = Turns()
