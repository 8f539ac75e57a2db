"""What each field kind looks like: in polars, in Python values, in raw JSON text, in CSV cells."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import polars as pl

from validators.spec import FieldKind

MESSAGE = pl.Struct({"role": pl.String, "content": pl.String})
DTYPES: dict[FieldKind, pl.DataType] = {
    FieldKind.STRING: pl.String,
    FieldKind.STRING_LIST: pl.List(pl.String),
    FieldKind.MESSAGES: pl.List(MESSAGE),
}

# Raw JSON that *may* hold a value of the wrong type for the kind. A match only sends the
# chunk down the exact (row by row) path; polars alone would coerce e.g. 5 into "5".
_NOT_A_STRING = r'"{name}"\s*:\s*[^"\s]'
_SUSPECT_PATTERNS: dict[FieldKind, list[str]] = {
    FieldKind.STRING: [_NOT_A_STRING],
    FieldKind.STRING_LIST: [r'"{name}"\s*:\s*(?:[^\[\s]|\[\s*[^"\s\]]|\[[^\]]*?,\s*[^"\s])'],
    FieldKind.MESSAGES: [
        r'"{name}"\s*:\s*(?:[^\[\s]|\[\s*[^{\s\]])',
        _NOT_A_STRING.replace("{name}", "role"),
        _NOT_A_STRING.replace("{name}", "content"),
    ],
}


def json_type_name(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), "a string" if isinstance(value, str) else "null")


def may_hide_wrong_types(data: bytes, fields: Iterable[tuple[str, FieldKind]]) -> bool:
    """Whether raw JSONL bytes may hold a value of the wrong type for one of the fields."""
    return any(
        re.search(pattern.replace("{name}", re.escape(name)).encode("utf-8"), data)
        for name, kind in fields
        for pattern in _SUSPECT_PATTERNS[kind]
    )


def accepts_dtype(kind: FieldKind, dtype: pl.DataType | None) -> bool:
    """Whether a column polars inferred can be trusted to hold this kind."""
    if dtype is None or dtype == pl.Null:
        return True
    if kind == FieldKind.STRING:
        return dtype == pl.String
    if not isinstance(dtype, pl.List):
        return False
    inner = dtype.inner
    if inner == pl.Null:
        return True
    if kind == FieldKind.STRING_LIST:
        return inner == pl.String
    fields = dict(inner.to_schema()) if isinstance(inner, pl.Struct) else {}
    return fields.get("role") == pl.String and fields.get("content") == pl.String


def as_declared(name: str, kind: FieldKind) -> pl.Expr:
    """Cast a trusted column to the kind's dtype (messages keep only role and content)."""
    if kind == FieldKind.MESSAGES:
        element = pl.element().struct
        turn = pl.struct(element.field("role"), element.field("content"))
        return pl.col(name).list.eval(turn).cast(DTYPES[kind]).alias(name)
    return pl.col(name).cast(DTYPES[kind]).alias(name)


def type_problem(kind: FieldKind, value: object) -> str | None:
    """Why a (non-null) JSON value can't be this kind, or None."""
    if kind == FieldKind.STRING:
        return None if isinstance(value, str) else f"must be a string, got {json_type_name(value)}"
    if not isinstance(value, list):
        return f"must be a list, got {json_type_name(value)}"
    if kind == FieldKind.STRING_LIST:
        bad = next((item for item in value if not isinstance(item, str)), None)
        return (
            None
            if bad is None and all(isinstance(i, str) for i in value)
            else (f"must be a list of strings, got {json_type_name(bad)} in it")
        )
    for position, turn in enumerate(value, start=1):
        if not isinstance(turn, dict):
            return f"turn {position} must be an object, got {json_type_name(turn)}"
        for key in ("role", "content"):
            if turn.get(key) is not None and not isinstance(turn[key], str):
                return (
                    f"turn {position} has a {key} that is {json_type_name(turn[key])}, not a string"
                )
    return None


def normalised(kind: FieldKind, value: object) -> object:
    if kind == FieldKind.MESSAGES and isinstance(value, list):
        return [{"role": turn.get("role"), "content": turn.get("content")} for turn in value]
    return value


def from_csv_cell(kind: FieldKind, cell: str) -> tuple[object, str | None]:
    """A CSV cell as this kind: lists are a JSON array or comma-separated items."""
    if kind == FieldKind.STRING:
        return cell, None
    text = cell.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            return None, "is not a valid JSON list"
        return value, type_problem(kind, value)
    return [item.strip() for item in text.split(",") if item.strip()], None
