"""Scalar shapes: strings, numbers, booleans and any JSON value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Literal

from msgspec import Meta

from validators.shapes.base import NotCompiled, Problem, Rules, Shape, shown

# A string holding more than whitespace: re's \S is str.isspace()'s complement, as strip() uses.
NON_BLANK = Annotated[str, Meta(pattern=r"\S")]
# Any JSON value but null (a list's items are never null); what it holds may be null.
NOT_NULL = str | int | float | bool | list | dict


@dataclass(frozen=True)
class Str(Shape):
    non_blank: bool = False
    choices: tuple[str, ...] = ()
    json_types = (str,)

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(json.dumps(c) for c in self.choices)
        return "a non-empty string" if self.non_blank else "a string"

    def example(self, seed: str) -> object:
        return self.choices[0] if self.choices else seed

    def decoded_type(self) -> object:
        if self.choices:
            usable = tuple(c for c in self.choices if c.strip() or not self.non_blank)
            if not usable:
                raise NotCompiled("no choice is non-blank")
            return Literal[usable]
        return NON_BLANK if self.non_blank else str

    def check(self, value: object) -> Problem | None:
        if self.choices and value not in self.choices:
            return Problem("", "", "one_of", f"must be {self.describe()}, got {shown(value)}")
        if self.non_blank and not str(value).strip():
            return Problem("", "", "not_empty", "is empty")
        return None

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", "is a string", "must be a string, got ..."
        if self.choices:
            yield f"{path}|one_of", f"is {self.describe()}", f"must be {self.describe()}, got ..."
        if self.non_blank:
            yield f"{path}|not_empty", "is not empty or only whitespace", "is empty"


@dataclass(frozen=True)
class Num(Shape):
    """A number (`integer=True`: a whole one) within [minimum, maximum] where given."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    @property
    def json_types(self) -> tuple[type, ...]:  # type: ignore[override]
        return (int,) if self.integer else (int, float)

    def describe(self) -> str:
        return "an integer" if self.integer else "a number"

    def example(self, seed: str) -> object:
        value = self.minimum if self.minimum is not None else min(1, self.maximum or 1)
        return int(value) if self.integer else float(value)

    def decoded_type(self) -> object:
        kind = int if self.integer else float  # msgspec's float takes JSON integers too
        if self.minimum is None and self.maximum is None:
            return kind
        return Annotated[kind, Meta(ge=self.minimum, le=self.maximum)]

    def problem(self, value: object) -> Problem | None:
        if self.integer and isinstance(value, float):
            return Problem("", "", "type", f"must be an integer, got {shown(value)}")
        return super().problem(value)

    def _range(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"between {self.minimum:g} and {self.maximum:g}"
        if self.minimum is not None:
            return f"at least {self.minimum:g}"
        return f"at most {self.maximum:g}"

    def check(self, value: object) -> Problem | None:
        low = self.minimum is not None and value < self.minimum  # type: ignore[operator]
        high = self.maximum is not None and value > self.maximum  # type: ignore[operator]
        if low or high:
            return Problem("", "", "range", f"must be {self._range()}, got {shown(value)}")
        return None

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", f"is {self.describe()}", f"must be {self.describe()}, got ..."
        if self.minimum is not None or self.maximum is not None:
            yield f"{path}|range", f"is {self._range()}", f"must be {self._range()}, got ..."


def Int(minimum: int | None = None, maximum: int | None = None) -> Num:  # noqa: N802
    return Num(minimum, maximum, integer=True)


@dataclass(frozen=True)
class Bool(Shape):
    json_types = (bool,)

    def describe(self) -> str:
        return "true or false"

    def example(self, seed: str) -> object:
        return True

    def decoded_type(self) -> object:
        return bool

    def check(self, value: object) -> Problem | None:
        return None


@dataclass(frozen=True)
class AnyJson(Shape):
    """Any JSON value (a document's data, a tool's parameter schema)."""

    json_types = (str, int, float, bool, list, dict)

    def describe(self) -> str:
        return "any JSON value"

    def example(self, seed: str) -> object:
        return seed

    def decoded_type(self) -> object:
        return NOT_NULL

    def check(self, value: object) -> Problem | None:
        return None

    def rules(self, path: str = "") -> Rules:
        yield from ()
