"""From merged file reports to the verdict, once every chunk is in: the dataset rules' file-wide
hooks (duplicates, unique fields, distinct counts, leakage, Cohere's label rule), the
judgement, and for a validated fine-tune set with no eval file, the 80/20 split.

Pure: the rows and hashes of the chunks are reached through `ChunkRows`, which the workers
implement over blobs, `sieve check` over local files and the tests in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from validators.aggregates import Tally, tally
from validators.report import FileReport
from validators.rules import DatasetRule, Settling
from validators.settle import EVAL, FileHashes
from validators.spec import DatasetSpec
from validators.tokens.sources import fact_columns, without_facts
from validators.verdict import Verdict, judge

ROLES = ("train", "eval")


class ChunkRows(Protocol):
    """The chunks of one file role, in file order (only those the report took in)."""

    def chunk_count(self, role: str) -> int: ...

    def rows_seen(self, role: str, chunk: int) -> int: ...

    def hashes(self, role: str, chunk: int) -> pl.DataFrame | None: ...

    def rows(self, role: str, chunk: int) -> pl.DataFrame | None:
        """The chunk's kept rows as stored, or None when they were not kept."""

    def replace(self, role: str, chunk: int, sides: dict[str, pl.DataFrame]) -> None:
        """Store the chunk's rows anew: `sides` maps "train" / "eval" to rows."""


@dataclass
class Outcome:
    verdict: Verdict
    examples: dict[str, int] = field(default_factory=dict)  # side -> rows in the parts
    tallies: dict[str, Tally] = field(default_factory=dict)  # side -> tally of those rows


def finish(
    spec: DatasetSpec, reports: list[FileReport], chunks: ChunkRows, skip_malformed: bool
) -> Outcome:
    """Each file settled by the rules (validators.rules.base says in which order), judged,
    and a validated dataset's train rows reshaped where a rule or the eval split asks."""
    rules = spec.file_rules
    files = {
        report.role: Settling(report, _file_hashes(spec, report, chunks), skip_malformed)
        for report in reports
    }
    for role, file in files.items():
        for rule in rules:
            rule.settle(file)
        file.report.settle(file, _drop_rows(spec, chunks, role, file.drops))
    if "train" in files and "eval" in files:
        for rule in rules:
            rule.settle_pair(files["train"], files["eval"])
    for rule in rules:
        for report in reports:
            rule.conclude(report)
    verdict = judge(spec, reports, skip_malformed)
    outcome = Outcome(verdict, {r.role: r.rows_valid for r in reports})
    outcome.tallies = {r.role: r.tally for r in reports}
    train = files.get("train")
    reshaping = [rule for rule in rules if train is not None and rule.reshapes(train.report)]
    split = spec.eval_split is not None and "eval" not in files
    if verdict.status == "validated" and train is not None and (reshaping or split):
        _reshape(spec, chunks, train, reshaping, split, outcome)
    return outcome


def _file_hashes(spec: DatasetSpec, report: FileReport, chunks: ChunkRows) -> FileHashes:
    offsets, seen = [], 0
    for chunk in range(chunks.chunk_count(report.role)):
        offsets.append(seen)
        seen += chunks.rows_seen(report.role, chunk)
    load = lambda chunk: chunks.hashes(report.role, chunk)  # noqa: E731
    return FileHashes(load, offsets, report.rows_valid, spec.key_fields)


def _drop_rows(spec: DatasetSpec, chunks: ChunkRows, role: str, drops: list[set[int]]) -> Tally:
    """Take the dropped rows out of the stored chunks; the tally of what was removed."""
    removed = Tally()
    for chunk, positions in enumerate(drops):
        rows = chunks.rows(role, chunk) if positions else None
        if rows is None:
            continue
        rows = _with_facts(rows, _kept_hashes(chunks, role, chunk, set()))
        mask = _mask(rows.height, positions)
        removed.add(tally(spec, rows.filter(mask)), spec.file_rules)
        chunks.replace(role, chunk, {role: without_facts(rows.filter(~mask))})
    return removed


def _kept_hashes(
    chunks: ChunkRows, role: str, chunk: int, dropped: set[int]
) -> pl.DataFrame | None:
    """The chunk's hashes of the rows it still stores: the hashes list every valid row the
    chunk had, so the rows `dropped` since are left out and the two line up."""
    hashes = chunks.hashes(role, chunk)
    if hashes is None or not dropped:
        return hashes
    return hashes.filter(~_mask(hashes.height, dropped))


def _with_facts(rows: pl.DataFrame, hashes: pl.DataFrame | None) -> pl.DataFrame:
    """The stored rows with the facts their hashes keep for them (their tokens)."""
    if hashes is None or not fact_columns(hashes):
        return rows
    return rows.hstack(hashes.select(fact_columns(hashes)))


def _mask(height: int, positions: set[int]) -> pl.Series:
    return pl.Series([False] * height).scatter(sorted(positions), True)


def _reshape(
    spec: DatasetSpec,
    chunks: ChunkRows,
    train: Settling,
    reshaping: list[DatasetRule],
    split: bool,
    outcome: Outcome,
) -> None:
    """Rewrite the train file's chunks as the `reshaping` rules say (without the rare
    labels) and, with `split`, into train and eval rows by the hash chosen for each row when
    its chunk was read."""
    sides = {"train": Tally(), "eval": Tally()}
    counts = {"train": 0, "eval": 0}
    for chunk in range(chunks.chunk_count("train")):
        rows = chunks.rows("train", chunk)
        if rows is None:
            continue
        hashes = _kept_hashes(chunks, "train", chunk, train.drops[chunk])  # read once
        rows = _with_facts(rows, hashes)
        to_eval = _eval_flags(hashes, rows.height) if split else None
        for rule in reshaping:
            rows, kept = rule.reshape(train.report, rows)
            to_eval = to_eval.filter(kept) if to_eval is not None else None
        parts = (
            {"train": rows}
            if to_eval is None
            else {
                "train": rows.filter(~to_eval),
                "eval": rows.filter(to_eval),
            }
        )
        chunks.replace("train", chunk, {side: without_facts(f) for side, f in parts.items()})
        for side, frame in parts.items():
            counts[side] += frame.height
            sides[side].add(tally(spec, frame), spec.file_rules)
    for side in ("train", "eval") if split else ("train",):
        outcome.examples[side] = counts[side]
        outcome.tallies[side] = sides[side]
    if split:
        share = round(spec.eval_split * 100)  # type: ignore[operator]
        outcome.verdict.warnings.append(
            f"no eval_data was given: {counts['eval']} of the {sum(counts.values())} train "
            f"examples ({share}%, chosen by a hash of each row, so the same whatever the "
            "chunking) were set aside for evaluation, as Cohere does"
        )


def _eval_flags(hashes: pl.DataFrame | None, height: int) -> pl.Series:
    """Which of the chunk's stored rows go to eval, by the hashes of the rows it stores."""
    return pl.Series([False] * height) if hashes is None else hashes[EVAL]
