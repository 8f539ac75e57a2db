"""The vocabulary dataset types are declared in: fields, formats, row rules, dataset rules.

A row rule is a named polars expression that is True where a row passes (`"text|not_empty"`).
Rules are evaluated in one pass over a chunk's frame; their failures are counted per rule, so
results from many chunks simply add up — rule authors never see chunking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl


class FieldKind(StrEnum):
    STRING = "string"
    STRING_LIST = "string_list"


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind = FieldKind.STRING
    required: bool = True


@dataclass(frozen=True)
class RowRule:
    """`check(field)` returns an expression that is True where the row passes."""

    name: str
    field: str
    reason: str
    check: Callable[[str], pl.Expr]

    def passes(self) -> pl.Expr:
        return self.check(self.field).fill_null(False)


@dataclass(frozen=True)
class MinExamples:
    """At least `train` valid train examples (`with_eval` when eval data is given) and at
    least `eval` valid eval examples when eval data is given."""

    train: int
    with_eval: int | None = None
    eval: int = 0


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    fields: tuple[Field, ...]
    formats: frozenset[str]
    row_rules: tuple[RowRule, ...]
    min_examples: MinExamples = field(default_factory=lambda: MinExamples(train=1))

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


# -- reusable rule builders --------------------------------------------------------------
def _present(name: str) -> pl.Expr:
    return pl.col(name).is_not_null()


def _not_blank(name: str) -> pl.Expr:
    """Null passes here: a missing field is `present`'s finding, not a second one."""
    return pl.col(name).is_null() | (pl.col(name).str.strip_chars().str.len_bytes() > 0)


def present(field_name: str) -> RowRule:
    return RowRule(f"{field_name}|present", field_name, "is missing", _present)


def not_empty(field_name: str) -> RowRule:
    return RowRule(f"{field_name}|not_empty", field_name, "is empty", _not_blank)
