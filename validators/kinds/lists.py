"""Kinds of lists: of strings, and of conversation turns."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import polars as pl

from validators.kinds.base import NOT_A_STRING, FieldKind, suspect
from validators.shapes import Problem, json_type_name


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
    """A conversation: a list of {role, content} objects (other keys are dropped once the
    rules have run). Keys people write instead (`message`, `from`, ShareGPT's `value`) are
    read too, so a turn without `content` can be told which key it has instead; `narrowed`
    leaves them out of what is stored."""

    name = "messages"
    keys = ("role", "content")
    near_keys = (("content", ("message", "text", "value")), ("role", ("from", "speaker", "author")))

    @property
    def read_keys(self) -> tuple[str, ...]:
        return (*self.keys, *(near for _, nears in self.near_keys for near in nears))

    @property
    def dtype(self) -> pl.DataType:  # type: ignore[override]
        return pl.List(pl.Struct({key: pl.String for key in self.read_keys}))

    def avro_type(self) -> object:
        fields = [{"name": key, "type": "string"} for key in self.keys]
        return {"type": "array", "items": {"type": "record", "name": "Turn", "fields": fields}}

    def describe(self) -> str:
        return "a list of {" + ", ".join(f'"{key}": string' for key in self.keys) + "} objects"

    def suspect_patterns(self, name: str) -> list[re.Pattern[bytes]]:
        return [
            suspect(r'"{name}"\s*:\s*(?:[^\[\s]|\[\s*[^{\s\]])', name),
            *(suspect(NOT_A_STRING, key) for key in self.keys),
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

    def as_declared(self, name: str, read: pl.DataType | None = None) -> pl.Expr:
        """Every key the rules read, null where no turn of the chunk has it."""
        inner = read.inner if isinstance(read, pl.List) else None
        present = {f.name for f in inner.fields} if isinstance(inner, pl.Struct) else set()
        element = pl.element().struct
        turn = pl.struct(
            element.field(key) if key in present else pl.lit(None, pl.String).alias(key)
            for key in self.read_keys
        )
        return pl.col(name).list.eval(turn).cast(self.dtype).alias(name)

    def read_dtype(self, first_read: pl.Series | None = None) -> pl.DataType:
        """Each key costs polars' JSON reader about as much as the first two: the keys people
        write instead are read only again, when a turn lacks its role or content (a chunk
        with errors). `as_declared` fills them with nulls otherwise."""
        narrow = pl.List(pl.Struct({key: pl.String for key in self.keys}))
        if first_read is None or first_read.dtype != narrow:
            return narrow
        turn = pl.element().struct
        lacking = pl.any_horizontal(turn.field(key).is_null() for key in self.keys)
        incomplete = first_read.list.eval(lacking).list.any().any()
        return self.dtype if incomplete else narrow

    def narrowed(self, name: str) -> pl.Expr:
        element = pl.element().struct
        turn = pl.struct(*(element.field(key) for key in self.keys))
        return pl.col(name).list.eval(turn).alias(name)

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
            return [
                {key: _text_or_none(turn.get(key)) for key in self.read_keys}
                if isinstance(turn, dict)
                else turn  # not a turn: `problem` says so
                for turn in value
            ]
        return value

    def decoded_type(self) -> object:
        fields = [(key, str | None, None) for key in self.read_keys]
        turn = msgspec.defstruct("Turn", fields, gc=False)
        return list[turn]  # type: ignore[valid-type]

    def finisher(self) -> Callable[[list], list]:
        keys = self.read_keys
        return lambda column: [
            None if turns is None else [{key: getattr(turn, key) for key in keys} for turn in turns]
            for turns in column
        ]


def _text_or_none(value: object) -> str | None:
    """A key's value as a turn column holds it: a string (other types: `problem` says)."""
    return value if isinstance(value, str) else None
