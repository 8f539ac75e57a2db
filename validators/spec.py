"""The vocabulary dataset types are declared in: fields, formats, row rules, dataset rules.

A row rule is a named polars expression that is True where a row passes (`"text|not_empty"`).
Rules are evaluated in one pass over a chunk's frame; their failures are counted per rule, so
results from many chunks simply add up — rule authors never see chunking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import polars as pl

from validators.kinds import STRING, FieldKind

if TYPE_CHECKING:
    from validators.report import FileReport

R = TypeVar("R", bound="DatasetRule")


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

    def passes(self) -> pl.Expr:
        return self.check(self.field).fill_null(False)

    def describe(self) -> str:
        return self.checks or f"refuses a row whose '{self.field}' {self.reason}"


class DatasetRule:
    """A rule over a whole file (or the train and eval files together), judged once every
    chunk is in, over the merged file reports (validators.report.FileReport). `code` is
    stable; `describe()` says what it checks, for the rule catalog. `key_fields` are fields
    whose values must be compared across chunks (by hash)."""

    code: str = ""
    key_fields: tuple[str, ...] = ()

    def describe(self) -> str:
        raise NotImplementedError

    def problems(self, type_name: str, files: list[FileReport]) -> list[str]:
        """What fails the dataset."""
        return []

    def notes(self, files: list[FileReport]) -> list[str]:
        """Warnings that don't."""
        return []

    def rows_needed(self, role: str) -> int:
        return 1


def _file(files: list[FileReport], role: str) -> FileReport | None:
    return next((report for report in files if report.role == role), None)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class MinExamples(DatasetRule):
    """At least `train` valid train examples (`with_eval` when eval data is given) and at
    least `eval` valid eval examples when eval data is given."""

    train: int
    with_eval: int | None = None
    eval: int = 0
    code = "dataset|min_examples"

    def rows_needed(self, role: str) -> int:
        return self.train if role == "train" else max(self.eval, 1)

    def problems(self, type_name: str, files: list[FileReport]) -> list[str]:
        has_eval = _file(files, "eval") is not None
        train = self.with_eval if has_eval and self.with_eval is not None else self.train
        needed = {"train": train, "eval": max(self.eval, 1)}
        return [
            f"the {r.role} file has {_plural(r.rows_valid, 'valid example')}; "
            f"{type_name} needs at least {needed[r.role]}"
            for r in sorted(files, key=lambda r: r.role != "train")
            if r.rows_valid < needed[r.role]
        ]

    def describe(self) -> str:
        text = f"at least {self.train} valid train example{'s' if self.train != 1 else ''}"
        if self.with_eval is not None:
            text += f" ({self.with_eval} when eval data is given)"
        return text + (f", and at least {self.eval} in the eval file" if self.eval else "")


@dataclass(frozen=True)
class LabelRules(DatasetRule):
    """Classification, as Cohere documents it: a label with fewer than `min_per_label` train
    examples is removed (a warning, its rows or its mentions dropped); what remains needs
    `min_labels` labels, and no label may be in every train example."""

    field: str
    min_per_label: int = 5
    min_labels: int = 2
    text_field: str = "text"
    one_per_row: bool = True  # single-label: a removed label takes its rows along
    code = "label|rules"

    def rows_needed(self, role: str) -> int:
        return self.min_per_label * self.min_labels if role == "train" else 1

    def problems(self, type_name: str, files: list[FileReport]) -> list[str]:
        """Judged on what is left once the rare labels were removed (validators.finish)."""
        train = _file(files, "train")
        if train is None or train.rows_valid == 0:
            return []
        labels = train.tally.labels
        if len(labels) < self.min_labels:
            found = ", ".join(repr(label) for label in sorted(labels)) or "none"
            kept = f" with at least {self.min_per_label} examples" if train.pruned_labels else ""
            return [
                f"the train file has {_plural(len(labels), 'distinct label')}{kept} ({found}); "
                f"{type_name} needs at least {self.min_labels}"
            ]
        return [
            f"label {label!r} is in every example of the train file; "
            "a label can't be in all of them"
            for label, count in sorted(labels.items())
            if count >= train.rows_valid
        ]

    def notes(self, files: list[FileReport]) -> list[str]:
        train = _file(files, "train")
        what = "its examples were dropped" if self.one_per_row else "it was taken off its examples"
        return [
            f"label {label!r} has {_plural(count, 'example')} in the train file, fewer than "
            f"{self.min_per_label}: it was removed ({what}), as Cohere does"
            for label, count in sorted(train.pruned_labels.items() if train else [])
        ]

    def describe(self) -> str:
        return (
            f"labels with fewer than {self.min_per_label} train examples are removed (warning); "
            f"at least {self.min_labels} labels must remain; no label may be in every example"
        )


@dataclass(frozen=True)
class UniqueValues(DatasetRule):
    """No two rows of a file share `field`'s value (e.g. a batch request's custom_id). A clash
    is a row finding on the later row, naming the first: found across chunks, by hash."""

    field: str

    @property
    def code(self) -> str:  # type: ignore[override]
        return f"{self.field}|unique"

    @property
    def key_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.field,)

    def describe(self) -> str:
        return f"every row's '{self.field}' is unique in its file"


@dataclass(frozen=True)
class DistinctAtLeast(DatasetRule):
    """At least `train` distinct values of `field` among a train file's valid rows (`eval`
    in an eval file) — Cohere's reranker counts unique queries, not rows."""

    field: str
    train: int
    eval: int = 0

    @property
    def code(self) -> str:  # type: ignore[override]
        return f"{self.field}|distinct_count"

    @property
    def key_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.field,)

    def rows_needed(self, role: str) -> int:
        return self.train if role == "train" else max(self.eval, 1)

    def problems(self, type_name: str, files: list[FileReport]) -> list[str]:
        problems = []
        for report in sorted(files, key=lambda r: r.role != "train"):
            needed = self.train if report.role == "train" else max(self.eval, 1)
            found = report.distinct.get(self.field, 0)
            if found < needed:
                problems.append(
                    f"the {report.role} file has {found} distinct '{self.field}' "
                    f"value{'s' if found != 1 else ''}; {type_name} needs at least {needed}"
                )
        return problems

    def describe(self) -> str:
        text = f"at least {self.train} distinct '{self.field}' values in the train file"
        return text + (f" and {self.eval} in the eval file" if self.eval else "")


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

    def rules_of(self, kind: type[R]) -> list[R]:
        return [rule for rule in self.dataset_rules if isinstance(rule, kind)]

    @property
    def min_examples(self) -> MinExamples:
        return next(iter(self.rules_of(MinExamples)), MinExamples(train=1))

    @property
    def labels(self) -> LabelRules | None:
        return next(iter(self.rules_of(LabelRules)), None)

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
