"""What a dataset rule is: a check over a whole file (or the train and eval files together),
with small hooks for the state it needs across chunks. Adding one is one new module here.

The pipeline calls the hooks in this order (validators.finish):

1. `tally(frame)` on each chunk's valid rows: the rule's state for those rows (JSON-able);
   `merge(state, later)` adds the next chunk's, `remove(state, removed)` takes out rows
   dropped later (duplicates, clashes).
2. `settle(file)` once the file is in, over its rows' hashes (`Settling`): rows to drop,
   findings, counts. Then `settle_pair(train, eval)` across the two files.
3. `conclude(report)` over the settled report and its state (labels too rare to keep).
4. `problems(...)` fail the dataset, `notes(...)` warn; `reshape(report, rows)` rewrites the
   kept train rows of a validated dataset.
5. What it tells beyond the verdict: `file_findings` (the full report), `profile`, `metrics`.

A rule's results live in `FileReport.results[rule.code]`, read back by its own hooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from validators.findings import Finding
    from validators.report import FileReport
    from validators.settle import FileHashes

FileFinding = tuple  # (row, field, reason, rule, excerpt, severity): a full report's row


class DatasetRule:
    """`code` is stable; `describe()` says what it checks, for the rule catalog. `key_fields`
    are fields whose values must be compared across chunks (by hash)."""

    code: str = ""
    key_fields: tuple[str, ...] = ()

    def describe(self) -> str:
        raise NotImplementedError

    def rows_needed(self, role: str) -> int:
        return 1

    # -- state across chunks -------------------------------------------------------------
    def tally(self, frame: pl.DataFrame) -> Any:
        return None

    def merge(self, state: Any, later: Any) -> Any:
        return None

    def remove(self, state: Any, removed: Any) -> Any:
        return state

    # -- the whole file ------------------------------------------------------------------
    def settle(self, file: Settling) -> None:
        """File-wide comparisons over the rows' hashes."""

    def settle_pair(self, train: Settling, evaluation: Settling) -> None:
        """Comparisons across the train and eval files."""

    def conclude(self, report: FileReport) -> None:
        """Judge the settled file's state (after the dropped rows left it)."""

    def problems(
        self, type_name: str, files: list[FileReport], row_errors: bool = False
    ) -> list[str]:
        """What fails the dataset, judged on the rows without errors (`row_errors`: some rows
        already fail it, and are listed before these problems)."""
        return []

    def notes(self, files: list[FileReport]) -> list[str]:
        """Warnings that don't."""
        return []

    def reshape(self, report: FileReport, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
        """The kept train rows rewritten, and the mask of the rows kept (default: as they are)."""
        return rows, pl.Series([True] * rows.height)

    def reshapes(self, report: FileReport) -> bool:
        return False

    # -- what it tells -------------------------------------------------------------------
    def file_findings(self, report: FileReport) -> list[FileFinding]:
        return []

    def counts(self, report: FileReport) -> dict[str, int]:
        """Findings per code that the full report lists beyond the row findings."""
        return {}

    def profile(self, report: FileReport) -> dict[str, Any]:
        return {}

    def metrics(self, train_state: Any) -> dict[str, Any]:
        return {}


@dataclass
class Settling:
    """One file being settled: its rows' hashes, and which rows the rules drop.

    `drops[chunk]` holds positions among that chunk's valid rows; `bucket` rows carry
    `chunk` and `position`, so a rule drops what it found with `drop(rows)`."""

    report: FileReport
    hashes: FileHashes
    drop_clashes: bool  # skip_malformed_input: rows with findings leave instead of failing
    drops: list[set[int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.drops = self.drops or [set() for _ in self.hashes.offsets]

    def drop(self, rows: pl.DataFrame) -> None:
        for chunk, position in rows.select("chunk", "position").iter_rows():
            self.drops[chunk].add(position)

    def kept(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`rows` without those dropped so far."""
        if rows.height == 0 or not any(self.drops):
            return rows
        dropped = pl.DataFrame(
            [(c, p) for c, positions in enumerate(self.drops) for p in positions],
            schema={"chunk": pl.UInt32, "position": pl.UInt32},
            orient="row",
        )
        return rows.join(dropped, on=["chunk", "position"], how="anti")

    @property
    def dropped(self) -> int:
        return sum(len(positions) for positions in self.drops)


def file_of(files: list[FileReport], role: str) -> FileReport | None:
    return next((report for report in files if report.role == role), None)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
