"""Rows equal to another row: exact duplicates in a file (dropped, as Cohere does) and eval
rows equal to a train row (a warning: evaluating on training data overstates quality)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validators.rules.base import DatasetRule, FileFinding, Settling
from validators.settle import ROW_KEY, repeats

if TYPE_CHECKING:
    from validators.report import FileReport

LEAKS_SHOWN = 10
MAX_LISTED_ROWS = 100  # in the profile


@dataclass
class Duplicates:
    count: int = 0
    first_row: int | None = None
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (row, first row)


@dataclass(frozen=True)
class ExactDuplicates(DatasetRule):
    """A row equal to an earlier row of its file is dropped with a warning (fine-tune types;
    a batch keeps every line: a repeated one is a repeated custom_id)."""

    code = "row|duplicate"

    def describe(self) -> str:
        return "a row equal to an earlier row of its file is dropped (warning)"

    def settle(self, file: Settling) -> None:
        found = Duplicates()
        for bucket in range(file.hashes.buckets):
            rows = repeats(file.hashes.bucket("h1", bucket), ROW_KEY)
            file.drop(rows)
            found.pairs += rows.select("row", "first_row").iter_rows()
        found.pairs.sort()
        found.count = len(found.pairs)
        found.first_row = found.pairs[0][0] if found.pairs else None
        file.report.results[self.code] = found

    def found(self, report: FileReport) -> Duplicates:
        return report.results.get(self.code) or Duplicates()

    def notes(self, files: list[FileReport]) -> list[str]:
        return [
            f"{d.count} exact duplicate row{'s were' if d.count != 1 else ' was'} "
            f"dropped from the {report.role} file (the first at row {d.first_row})"
            for report in files
            if (d := self.found(report)).count
        ]

    def file_findings(self, report: FileReport) -> list[FileFinding]:
        reason = "is an exact duplicate of row {}: dropped"
        return [
            (row, None, reason.format(first), self.code, None, "dropped")
            for row, first in self.found(report).pairs
        ]

    def counts(self, report: FileReport) -> dict[str, int]:
        return {self.code: self.found(report).count}

    def profile(self, report: FileReport) -> dict[str, Any]:
        found = self.found(report)
        rows = [list(pair) for pair in found.pairs[:MAX_LISTED_ROWS]]
        return {"duplicates": {"count": found.count, "first_row": found.first_row, "rows": rows}}


@dataclass(frozen=True)
class EvalLeakage(DatasetRule):
    """Eval rows equal to a train row are named in a warning."""

    code = "eval|leak"

    def describe(self) -> str:
        return "eval rows equal to a train row are named (warning)"

    def settle_pair(self, train: Settling, evaluation: Settling) -> None:
        buckets = max(train.hashes.buckets, evaluation.hashes.buckets)
        leaked: list[int] = []
        for bucket in range(buckets):
            train_rows = train.hashes.bucket("h1", bucket, buckets).select(ROW_KEY)
            eval_rows = evaluation.kept(evaluation.hashes.bucket("h1", bucket, buckets))
            if train_rows.height and eval_rows.height:
                joined = eval_rows.join(train_rows.unique(), on=list(ROW_KEY))
                leaked += joined["row"].to_list()
        evaluation.report.results[self.code] = sorted(leaked)

    def leaked(self, report: FileReport) -> list[int]:
        return report.results.get(self.code, [])

    def notes(self, files: list[FileReport]) -> list[str]:
        leaked = [row for report in files for row in self.leaked(report)]
        if not leaked:
            return []
        more = ", ..." if len(leaked) > LEAKS_SHOWN else ""
        shown = ", ".join(map(str, leaked[:LEAKS_SHOWN])) + more
        plural = "s" if len(leaked) != 1 else ""
        return [
            f"{len(leaked)} row{plural} of the eval file also appear{'' if plural else 's'} in "
            f"the train file (eval row{plural} {shown}): evaluating on training data overstates "
            "quality"
        ]

    def file_findings(self, report: FileReport) -> list[FileFinding]:
        reason = "is the same as a row of the train file"
        return [(row, None, reason, self.code, None, "warning") for row in self.leaked(report)]

    def counts(self, report: FileReport) -> dict[str, int]:
        return {self.code: len(self.leaked(report))}

    def profile(self, report: FileReport) -> dict[str, Any]:
        leaked = self.leaked(report)
        return {"in_train": {"count": len(leaked), "rows": leaked[:MAX_LISTED_ROWS]}}
