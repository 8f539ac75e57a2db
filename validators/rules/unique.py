"""Values compared across the whole file by hash: unique per row, or enough distinct ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from validators.findings import Finding
from validators.rules.base import DatasetRule, FileFinding, Settling
from validators.settle import key_columns, repeats

if TYPE_CHECKING:
    from validators.report import FileReport


def distinct_values(file: Settling, name: str) -> int:
    """Distinct values of a key field among the file's rows not dropped so far."""
    key = key_columns(name)
    found = 0
    for bucket in range(file.hashes.buckets):
        rows = file.kept(file.hashes.bucket(key[0], bucket))
        found += rows.select(pl.struct(list(key)).n_unique()).item() if rows.height else 0
    return found


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

    def settle(self, file: Settling) -> None:
        key = key_columns(self.field)
        clashes: list[Finding] = []
        for bucket in range(file.hashes.buckets):
            clashing = repeats(file.kept(file.hashes.bucket(key[0], bucket)), key)
            pairs = clashing.select("row", "first_row").iter_rows()
            clashes += [self._finding(row, first) for row, first in pairs]
            if file.drop_clashes:
                file.drop(clashing)
        file.findings.extend(sorted(clashes))
        file.report.results[self.code] = sorted(clashes)

    def _finding(self, row: int, first: int) -> Finding:
        unique = f"each '{self.field}' must be unique in the file"
        reason = f"has the same value as row {first}; {unique}"
        return Finding(row, self.field, reason, self.code)

    def file_findings(self, report: FileReport) -> list[FileFinding]:
        clashes = report.results.get(self.code, [])
        return [(f.row, f.field, f.reason, f.rule, f.excerpt, None) for f in clashes]


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

    def settle(self, file: Settling) -> None:
        file.report.results[self.code] = distinct_values(file, self.field)

    def problems(
        self, type_name: str, files: list[FileReport], row_errors: bool = False
    ) -> list[str]:
        problems = []
        for report in sorted(files, key=lambda r: r.role != "train"):
            needed = self.train if report.role == "train" else max(self.eval, 1)
            found = report.results.get(self.code, 0)
            if found < needed:
                problems.append(
                    f"the {report.role} file has {found} distinct '{self.field}' "
                    f"value{'s' if found != 1 else ''}; {type_name} needs at least {needed}"
                )
        return problems

    def describe(self) -> str:
        text = f"at least {self.train} distinct '{self.field}' values in the train file"
        return text + (f" and {self.eval} in the eval file" if self.eval else "")
