"""The vocabulary dataset types are declared in: fields, formats, row rules, dataset rules.

A row rule is a named polars expression that is True where a row passes (`"text|not_empty"`).
Rules are evaluated in one pass over a chunk's frame; their failures are counted per rule, so
results from many chunks simply add up — rule authors never see chunking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from validators.kinds import STRING, FieldKind
from validators.rules import (
    DatasetRule,
    DistinctAtLeast,
    EvalLeakage,
    ExactDuplicates,
    LabelRules,
    MinExamples,
    TokenCounts,
    TokenLimits,
    UniqueValues,
)
from validators.tokens.sources import Fields, JsonTexts, TokenSource, Turns

__all__ = [  # for type modules
    "DistinctAtLeast",
    "Fields",
    "JsonTexts",
    "LabelRules",
    "MinExamples",
    "TokenLimits",
    "Turns",
    "UniqueValues",
]


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind = STRING
    required: bool = True


@dataclass(frozen=True)
class RowRule:
    """`check(field)` returns an expression that is True where the row passes."""

    name: str
    field: str
    reason: str
    check: Callable[[str], pl.Expr]
    checks: str = ""  # what a passing row has, for the rule catalog
    # The reason for a failing row naming where and what (`turn 3 has role 'assistant'`),
    # evaluated over the failing rows only; `reason` where it is not given.
    detail: Callable[[str], pl.Expr] | None = None

    def reason_expr(self) -> pl.Expr:
        return self.detail(self.field) if self.detail is not None else pl.lit(self.reason)

    def passes(self) -> pl.Expr:
        return self.check(self.field).fill_null(False)

    def describe(self) -> str:
        return self.checks or f"refuses a row whose '{self.field}' {self.reason}"


@dataclass(frozen=True)
class Total:
    """A number summed over a file's valid rows, reported in the metrics as
    `<metrics_group>.num_<role>_<name>` (e.g. reranker_data_metrics.num_train_hard_negatives)."""

    name: str
    per_row: Callable[[], pl.Expr]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    fields: tuple[Field, ...]
    formats: frozenset[str]
    row_rules: tuple[RowRule, ...]
    dataset_rules: tuple[DatasetRule, ...] = (MinExamples(train=1),)
    totals: tuple[Total, ...] = ()
    metrics_group: str | None = None
    # Fine-tune types: with no eval file, this share of the rows (by row hash) becomes eval.
    eval_split: float | None = None
    # Exact duplicate rows are dropped with a warning, as Cohere does; a batch keeps every
    # line (each is a request: a repeated line is a repeated custom_id, which fails).
    drops_duplicates: bool = True
    # A valid row for row number i (`prefix` starts its strings); by default built from the
    # fields' kinds. Shown in the rule catalog; tests build their files from it.
    example_row: Callable[[int, str], dict] | None = None
    # What a row says to a model, counted in tokens (validators.tokens); `token_metric` names
    # the train file's total in the metrics.
    tokens: TokenSource | None = None
    token_metric: str = "trainable_token_count"

    def example(self, i: int, prefix: str = "") -> dict:
        if self.example_row is not None:
            return self.example_row(i, prefix)
        return {f.name: f.kind.example(f"{prefix}{f.name} {i}") for f in self.fields if f.required}

    def rows_needed(self, role: str = "train") -> int:
        """The fewest valid rows the dataset rules accept in a file of `role`."""
        return max((rule.rows_needed(role) for rule in self.dataset_rules), default=1)

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def field_kinds(self) -> tuple[tuple[str, FieldKind], ...]:
        return tuple((f.name, f.kind) for f in self.fields)

    @property
    def file_rules(self) -> tuple[DatasetRule, ...]:
        """Every rule the finish step runs, in order: exact duplicates leave first (unless
        the type keeps every row), then the type's own rules, the token counts, then leakage
        across files."""
        duplicates = (ExactDuplicates(),) if self.drops_duplicates else ()
        tokens = (TokenCounts(self.token_metric),) if self.tokens is not None else ()
        return (*duplicates, *self.dataset_rules, *tokens, EvalLeakage())

    @property
    def key_fields(self) -> tuple[str, ...]:
        """Fields whose values are compared across chunks (by hash) at finalize."""
        return tuple(dict.fromkeys(f for rule in self.dataset_rules for f in rule.key_fields))


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
    checks = f"'{field_name}' is present (not null)"
    return RowRule(f"{field_name}|present", field_name, "is missing", _present, checks)


def not_empty(field_name: str) -> RowRule:
    checks = f"'{field_name}' is not empty or only whitespace"
    return RowRule(f"{field_name}|not_empty", field_name, "is empty", _not_blank, checks)


def not_empty_list(field_name: str) -> RowRule:
    reason, checks = "must have at least one item", f"'{field_name}' has at least one item"
    return RowRule(f"{field_name}|not_empty", field_name, reason, _has_items, checks)


def no_blank_items(field_name: str) -> RowRule:
    checks = f"no item of '{field_name}' is empty or only whitespace"
    name = f"{field_name}|no_blank_items"
    return RowRule(name, field_name, "has an empty item", _items_not_blank, checks)


def row_count() -> pl.Expr:
    return pl.len()


def list_length(field_name: str) -> Callable[[], pl.Expr]:
    return lambda: pl.col(field_name).list.len().fill_null(0)
