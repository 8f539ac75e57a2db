"""Mergeable chunk reports: what one chunk saw, in numbers that add up across chunks.

Row numbers in a chunk report are local to the chunk; merging shifts them by the rows seen in
the earlier chunks of the same file, so a merged report is the same whatever the chunk size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validators.aggregates import Tally
from validators.findings import Finding

if TYPE_CHECKING:
    from validators.rules import DatasetRule, Settling
    from validators.spec import DatasetSpec

MAX_FINDINGS = 100  # per chunk and per dataset; counts stay exact beyond it


@dataclass
class ChunkReport:
    rows_seen: int = 0
    rows_valid: int = 0
    findings: list[Finding] = field(default_factory=list)  # the first MAX_FINDINGS, by row
    finding_count: int = 0
    rule_counts: Counter = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)  # over the valid rows

    def to_dict(self) -> dict:
        return {
            "rows_seen": self.rows_seen,
            "rows_valid": self.rows_valid,
            "findings": [f.to_dict() for f in self.findings],
            "finding_count": self.finding_count,
            "rule_counts": dict(self.rule_counts),
            "totals": dict(self.tally.totals),
            "states": self.tally.states,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ChunkReport:
        return cls(
            rows_seen=data["rows_seen"],
            rows_valid=data["rows_valid"],
            findings=[Finding.from_dict(f) for f in data["findings"]],
            finding_count=data["finding_count"],
            rule_counts=Counter(data["rule_counts"]),
            tally=Tally(Counter(data.get("totals", {})), _states(data)),
        )


def _states(data: dict) -> dict[str, Any]:
    """The rules' states (a report written before states were kept per rule: its labels)."""
    if "states" in data:
        return data["states"]
    if data.get("labels"):
        return {"label|rules": {"labels": data["labels"], "samples": data.get("samples", {})}}
    return {}


# Findings after which no later row of the file can be delimited with confidence (an unclosed
# quote in CSV, a row over the length limit): the file fails even with skip_malformed_input,
# and reading stops there.
FATAL_RULES = frozenset({"row|csv", "row|too_long"})


@dataclass
class FileReport:
    """A whole file's merged report."""

    role: str  # "train" | "eval"
    rules: tuple[DatasetRule, ...] = ()  # whose states the tally merges
    rows_seen: int = 0
    rows_valid: int = 0
    findings: list[Finding] = field(default_factory=list)
    finding_count: int = 0
    rule_counts: Counter = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)
    chunks_read: int = 0  # chunks taken in: all, unless a fatal finding stopped the reading
    results: dict[str, Any] = field(default_factory=dict)  # rule code -> what it found

    @property
    def states(self) -> dict[str, Any]:
        return self.tally.states

    @property
    def stopped(self) -> bool:
        return any(f.rule in FATAL_RULES for f in self.findings)

    def add(self, chunk: ChunkReport) -> None:
        """Append the next chunk of this file (chunks must be added in file order). After a
        fatal finding nothing more is taken in: read as one chunk, the file would have stopped
        there too, so the report is the same whatever the chunking."""
        if self.stopped:
            return
        self.chunks_read += 1
        room = MAX_FINDINGS - len(self.findings)
        if room > 0:
            self.findings.extend(f.shifted(self.rows_seen) for f in chunk.findings[:room])
        self.finding_count += chunk.finding_count
        self.rule_counts.update(chunk.rule_counts)
        self.tally.add(chunk.tally, self.rules)
        self.rows_seen += chunk.rows_seen
        self.rows_valid += chunk.rows_valid

    def settle(self, file: Settling, removed: Tally) -> None:
        """Take in what the file-wide rules found: the rows they dropped leave the counts and
        the tally, their findings (clashes of unique fields) join the report's."""
        self.rows_valid -= file.dropped
        self.tally.remove(removed, self.rules)
        self.finding_count += len(file.findings)
        self.rule_counts.update(finding.rule for finding in file.findings)
        self.findings = sorted([*self.findings, *file.findings[:MAX_FINDINGS]])[:MAX_FINDINGS]


def merge(spec: DatasetSpec, role: str, chunks: list[ChunkReport]) -> FileReport:
    merged = FileReport(role, spec.file_rules)
    for chunk in chunks:
        merged.add(chunk)
    return merged
