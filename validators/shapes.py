"""Nested JSON shapes declared as data: what a request body or a result row must look like.

A shape checks one (non-null) JSON value and returns its first problem, if any. A problem has a
concrete path (`.messages[2].role`), the path with the indices left out (`.messages[].role`) and
a check name (`one_of`). The field name plus the generic path plus the check is the rule's stable
code (`body.messages[].role|one_of`). `rules()` lists every code a shape can produce, with what it
checks, for the rule catalog.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


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

    def check(self, value: object) -> Problem | None:
        return None

    def rules(self, path: str = "") -> Rules:
        yield from ()


@dataclass(frozen=True)
class ListOf(Shape):
    item: Shape
    min_items: int = 0
    max_items: int | None = None
    json_types = (list,)

    def describe(self) -> str:
        return "a list"

    def example(self, seed: str) -> object:
        return [self.item.example(seed)] * max(self.min_items, 1)

    def _size(self) -> str:
        if self.max_items is not None:
            return f"{self.min_items} to {self.max_items} items"
        return f"at least {self.min_items} item{'s' if self.min_items != 1 else ''}"

    def check(self, value: object) -> Problem | None:
        items: list = value  # type: ignore[assignment]
        if len(items) < self.min_items or (
            self.max_items is not None and len(items) > self.max_items
        ):
            reason = f"must have {self._size()}, has {len(items)}"
            return Problem("", "", "items", reason)
        for position, item in enumerate(items):
            found = self.item.problem(item)
            if found is not None:
                return found.under(f"[{position}]", "[]")
        return None

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", "is a list", "must be a list, got ..."
        if self.min_items or self.max_items is not None:
            yield f"{path}|items", f"has {self._size()}", f"must have {self._size()}, has N"
        yield from self.item.rules(f"{path}[]")


@dataclass(frozen=True)
class MapOf(Shape):
    """An object with free keys (or keys from `keys`), each holding a `value`."""

    value: Shape
    keys: tuple[str, ...] = ()
    min_keys: int = 0
    json_types = (dict,)

    def describe(self) -> str:
        return "an object"

    def example(self, seed: str) -> object:
        return {self.keys[0] if self.keys else "key": self.value.example(seed)}

    def check(self, value: object) -> Problem | None:
        mapping: dict = value  # type: ignore[assignment]
        if len(mapping) < self.min_keys:
            return Problem("", "", "not_empty", f"must have at least {self.min_keys} key")
        for key, item in mapping.items():
            if self.keys and key not in self.keys:
                return _unknown_key(key, self.keys)
            found = self.value.problem(item) if item is not None else None
            if found is not None:
                return found.under(f".{key}", ".*")
        return None

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", "is an object", "must be an object, got ..."
        if self.min_keys:
            need = f"at least {self.min_keys} key"
            yield f"{path}|not_empty", f"has {need}", f"must have {need}"
        if self.keys:
            yield _known_keys_rule(path, self.keys)
        yield from self.value.rules(f"{path}.*")


def _known_keys_rule(path: str, known: Iterable[str]) -> tuple[str, str, str]:
    keys = ", ".join(known)
    return f"{path}|known_keys", f"has only the keys {keys}", "is not a known key (known: ...)"


def _unknown_key(key: str, known: Iterable[str]) -> Problem:
    """Named by its path (`body.temprature`), under the object's code (`body|known_keys`)."""
    return Problem(f".{key}", "", "known_keys", f"is not a known key (known: {', '.join(known)})")


@dataclass(frozen=True)
class Obj(Shape):
    """An object with known keys. Unknown keys are refused unless `open`; a key in `refused`
    is refused with its own reason; `one_of_keys` needs at least one of those keys."""

    required: dict[str, Shape] = field(default_factory=dict)
    optional: dict[str, Shape] = field(default_factory=dict)
    open: bool = False
    refused: dict[str, str] = field(default_factory=dict)
    one_of_keys: tuple[str, ...] = ()
    json_types = (dict,)

    def describe(self) -> str:
        return "an object"

    def example(self, seed: str) -> object:
        keys = [*self.required, *self.one_of_keys[:1]]
        return {key: self._known[key].example(seed) for key in keys}

    def check(self, value: object) -> Problem | None:
        mapping: dict = value  # type: ignore[assignment]
        for key, reason in self.refused.items():
            if key in mapping:
                return Problem(f".{key}", f".{key}", "refused", reason)
        if not self.open:  # first: a misspelt key explains a missing one
            unknown = next((key for key in mapping if key not in self._known), None)
            if unknown is not None:
                return _unknown_key(unknown, self._known)
        for key in self.required:
            if mapping.get(key) is None:
                return Problem(f".{key}", f".{key}", "present", "is missing")
        if self.one_of_keys and all(mapping.get(key) is None for key in self.one_of_keys):
            return Problem("", "", "one_of_keys", f"needs {self._one_of()}")
        for key, item in mapping.items():
            shape = self._known.get(key)
            found = shape.problem(item) if shape is not None and item is not None else None
            if found is not None:
                return found.under(f".{key}", f".{key}")
        return None

    @property
    def _known(self) -> dict[str, Shape]:
        return {**self.required, **self.optional}

    def _one_of(self) -> str:
        return "at least one of " + ", ".join(f"'{key}'" for key in self.one_of_keys)

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", "is an object", "must be an object, got ..."
        for key, reason in self.refused.items():
            yield f"{path}.{key}|refused", "is absent", reason
        for key in self.required:
            yield f"{path}.{key}|present", "is given", "is missing"
        if self.one_of_keys:
            yield f"{path}|one_of_keys", f"has {self._one_of()}", f"needs {self._one_of()}"
        if not self.open:
            yield _known_keys_rule(path, self._known)
        for key, shape in self._known.items():
            yield from shape.rules(f"{path}.{key}")


@dataclass(frozen=True)
class Tagged(Shape):
    """An object whose `tag` key picks its shape among `variants` (content blocks, messages)."""

    tag: str
    variants: dict[str, Obj]
    json_types = (dict,)
    _with_tag: dict[str, Obj] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tag = {self.tag: AnyJson()}
        with_tag = {
            name: Obj(v.required, {**tag, **v.optional}, v.open, v.refused, v.one_of_keys)
            for name, v in self.variants.items()
        }
        object.__setattr__(self, "_with_tag", with_tag)

    def describe(self) -> str:
        return "an object"

    def example(self, seed: str) -> object:
        tag, variant = next(iter(self.variants.items()))
        return {self.tag: tag, **variant.example(seed)}  # type: ignore[dict-item]

    def check(self, value: object) -> Problem | None:
        mapping: dict = value  # type: ignore[assignment]
        tag = mapping.get(self.tag)
        if tag is None:
            return Problem(f".{self.tag}", f".{self.tag}", "present", "is missing")
        if tag not in self.variants:
            choices = ", ".join(json.dumps(v) for v in self.variants)
            reason = f"must be one of {choices}, got {shown(tag)}"
            return Problem(f".{self.tag}", f".{self.tag}", "one_of", reason)
        return self._with_tag[tag].check(mapping)

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", "is an object", "must be an object, got ..."
        yield f"{path}.{self.tag}|present", "is given", "is missing"
        choices = "one of " + ", ".join(map(json.dumps, self.variants))
        yield f"{path}.{self.tag}|one_of", f"is {choices}", f"must be {choices}, got ..."
        seen: set[str] = set()
        for variant in self._with_tag.values():
            for code, what, message in variant.rules(path):
                if code not in seen and code != f"{path}|type":
                    seen.add(code)
                    yield code, what, message


@dataclass(frozen=True)
class Either(Shape):
    """One of several shapes, chosen by the value's JSON type (content: a string or blocks)."""

    options: tuple[Shape, ...]

    @property
    def json_types(self) -> tuple[type, ...]:  # type: ignore[override]
        return tuple(t for option in self.options for t in option.json_types)

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)

    def example(self, seed: str) -> object:
        return self.options[0].example(seed)

    def check(self, value: object) -> Problem | None:
        option = next(o for o in self.options if o.accepts_type(value))
        return option.check(value)

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", f"is {self.describe()}", f"must be {self.describe()}, got ..."
        for option in self.options:
            yield from (rule for rule in option.rules(path) if rule[0] != f"{path}|type")
