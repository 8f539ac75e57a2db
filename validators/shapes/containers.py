"""Container shapes: lists, maps, objects with known keys, tagged objects, alternatives."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from validators.shapes.base import NotCompiled, Problem, Rules, Shape, any_of, shown
from validators.shapes.scalars import AnyJson


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

    def decoded_type(self) -> object:
        items = list[self.item.decoded_type()]  # type: ignore[misc]
        if not self.min_items and self.max_items is None:
            return items
        return Annotated[items, Meta(min_length=self.min_items or None, max_length=self.max_items)]

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

    def decoded_type(self) -> object:
        key = Literal[self.keys] if self.keys else str
        mapping = dict[key, self.value.decoded_type() | None]  # type: ignore[misc,valid-type]
        return Annotated[mapping, Meta(min_length=self.min_keys)] if self.min_keys else mapping

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

    def decoded_type(self) -> object:
        return self.struct()

    def struct(self, tag_field: str | None = None, tag: str | None = None, **fixed: str) -> type:
        """A msgspec Struct of the object: required keys typed, optional ones nullable, others
        refused unless `open`; `tag_field`/`tag` make it a tagged union's variant, `fixed` keys
        must hold exactly the given string."""
        refused_known = set(self.refused) & set(self._known)
        if (self.refused and self.open) or refused_known or set(fixed) & set(self._known):
            raise NotCompiled("refused keys msgspec can't tell apart")
        names = {f"f{i}": key for i, key in enumerate([*self._known, *fixed])}
        fields: list = []
        for attr, key in names.items():
            if key in fixed:
                fields.append((attr, Literal[fixed[key]]))
            elif key in self.required:
                fields.append((attr, self.required[key].decoded_type()))
            elif key in self.optional:
                fields.append((attr, self.optional[key].decoded_type() | None, None))
        namespace = {"__post_init__": _one_of_keys(self, names)} if self.one_of_keys else {}
        return msgspec.defstruct(
            "Obj",
            fields,
            kw_only=True,
            rename=names,
            forbid_unknown_fields=not self.open,
            tag_field=tag_field,
            tag=tag,
            namespace=namespace,
            gc=False,  # no cycles: decoded objects are freed at once, untracked
        )

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

    def decoded_type(self) -> object:
        """A msgspec tagged union (one variant alone: its tag as a fixed key, since msgspec
        does not require the tag of a lone tagged struct)."""
        if len(self.variants) == 1:
            ((name, variant),) = self.variants.items()
            return variant.struct(**{self.tag: name})
        return any_of(v.struct(self.tag, name) for name, v in self.variants.items())

    def check(self, value: object) -> Problem | None:
        mapping: dict = value  # type: ignore[assignment]
        tag = mapping.get(self.tag)
        if tag is None:
            return Problem(f".{self.tag}", f".{self.tag}", "present", "is missing")
        if not isinstance(tag, str) or tag not in self.variants:
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

    def decoded_type(self) -> object:
        return any_of(option.decoded_type() for option in self.options)

    def check(self, value: object) -> Problem | None:
        option = next(o for o in self.options if o.accepts_type(value))
        return option.check(value)

    def rules(self, path: str = "") -> Rules:
        yield f"{path}|type", f"is {self.describe()}", f"must be {self.describe()}, got ..."
        for option in self.options:
            yield from (rule for rule in option.rules(path) if rule[0] != f"{path}|type")


def _one_of_keys(obj: Obj, names: dict[str, str]) -> object:
    """A Struct's __post_init__ refusing it when every key of `one_of_keys` is absent or null."""
    attrs = [attr for attr, key in names.items() if key in obj.one_of_keys]

    def post_init(self: msgspec.Struct) -> None:
        if all(getattr(self, attr) is None for attr in attrs):
            raise ValueError(obj._one_of())

    return post_init
