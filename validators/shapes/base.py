"""Nested JSON shapes declared as data: what a request body or a result row must look like.

A shape checks one (non-null) JSON value and returns its first problem, if any. A problem has a
concrete path (`.messages[2].role`), the path with the indices left out (`.messages[].role`) and
a check name (`one_of`). The field name plus the generic path plus the check is the rule's stable
code (`body.messages[].role|one_of`). `rules()` lists every code a shape can produce, with what it
checks, for the rule catalog.

`decoded_type()` compiles a shape to a msgspec type, which checks a value while decoding it, at
C speed. It accepts no value `problem` refuses, and may refuse a few that `problem` accepts:
those rows are read again by the exact path, which words the finding (validators.parsing).
"""

from __future__ import annotations

import functools
import json
import operator
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


def json_type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names = {int: "a number", float: "a number", list: "a list", dict: "an object", str: "a string"}
    return names.get(type(value), "null")


def shown(value: object, limit: int = 40) -> str:
    """A value as it appears in a message: JSON, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the field: "" or ".messages[2].role"
    generic: str  # the same path without indices: ".messages[].role"
    check: str  # "type", "one_of", "not_empty", ...
    reason: str  # "must be one of 'user', 'assistant', got 'bot'"

    def under(self, path: str, generic: str) -> Problem:
        return Problem(path + self.path, generic + self.generic, self.check, self.reason)


class NotCompiled(Exception):  # noqa: N818 - a signal, not an error shown to anyone
    """msgspec can't express this shape: its values are read by the exact path only."""


def any_of(types: Iterable[object]) -> object:
    """The union of msgspec types (`a | b | ...`, built at run time)."""
    return functools.reduce(operator.or_, types)


Rules = Iterator[tuple[str, str, str]]  # (generic path + "|" + check, what it checks, message)


class Shape(ABC):
    json_types: tuple[type, ...] = ()  # the JSON types the shape takes, for Either

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def check(self, value: object) -> Problem | None:
        """The first problem of a value already known to be one of `json_types`."""

    def problem(self, value: object) -> Problem | None:
        if not self.accepts_type(value):
            return Problem(
                "", "", "type", f"must be {self.describe()}, got {json_type_name(value)}"
            )
        return self.check(value)

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, self.json_types) and not (
            isinstance(value, bool) and bool not in self.json_types
        )

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", f"is {self.describe()}", f"must be {self.describe()}, got ..."

    @abstractmethod
    def example(self, seed: str) -> object:
        """A small valid value; `seed` makes strings differ from row to row."""

    @abstractmethod
    def decoded_type(self) -> object:
        """The msgspec type of a non-null value (see the module's docstring); raises
        NotCompiled where msgspec can't express the shape."""
