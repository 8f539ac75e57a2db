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
    MESSAGES = "messages"  # a list of {"role": string, "content": string}


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
class LabelRules:
    """Classification: every label needs `min_per_label` train examples, the train file needs
    `min_labels` labels, and no label may be in every train example."""

    field: str
    min_per_label: int = 5
    min_labels: int = 2


@dataclass(frozen=True)
class Total:
    """A number summed over a file's valid rows, reported in the metrics as
    `<metrics_group>.num_<role>_<name>` (e.g. reranker_data_metrics.num_train_hard_negatives)."""

    name: str
    per_row: Callable[[], pl.Expr]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    fields: tuple[Field, ...]
    formats: frozenset[str]
    row_rules: tuple[RowRule, ...]
    min_examples: MinExamples = field(default_factory=lambda: MinExamples(train=1))
    labels: LabelRules | None = None
    totals: tuple[Total, ...] = ()
    metrics_group: str | None = None

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def field_kinds(self) -> tuple[tuple[str, FieldKind], ...]:
        return tuple((f.name, f.kind) for f in self.fields)


# -- reusable rule builders --------------------------------------------------------------
def _present(name: str) -> pl.Expr:
    return pl.col(name).is_not_null()


def _not_blank(name: str) -> pl.Expr:
    """Null passes here: a missing field is `present`'s finding, not a second one."""
    return pl.col(name).is_null() | (pl.col(name).str.strip_chars().str.len_bytes() > 0)


def _has_items(name: str) -> pl.Expr:
    return pl.col(name).is_null() | (pl.col(name).list.len() > 0)


def _items_not_blank(name: str) -> pl.Expr:
    blank = pl.element().str.strip_chars().str.len_bytes() == 0
    return pl.col(name).is_null() | ~pl.col(name).list.eval(blank).list.any()


def present(field_name: str) -> RowRule:
    return RowRule(f"{field_name}|present", field_name, "is missing", _present)


def not_empty(field_name: str) -> RowRule:
    return RowRule(f"{field_name}|not_empty", field_name, "is empty", _not_blank)


def not_empty_list(field_name: str) -> RowRule:
    return RowRule(f"{field_name}|not_empty", field_name, "must have at least one item", _has_items)


def no_blank_items(field_name: str) -> RowRule:
    return RowRule(
        f"{field_name}|no_blank_items", field_name, "has an empty item", _items_not_blank
    )


def row_count() -> pl.Expr:
    return pl.len()


def list_length(field_name: str) -> Callable[[], pl.Expr]:
    return lambda: pl.col(field_name).list.len().fill_null(0)
