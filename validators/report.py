"""Mergeable chunk reports: what one chunk saw, in numbers that add up across chunks.

Row numbers in a chunk report are local to the chunk; merging shifts them by the rows seen in
the earlier chunks of the same file, so a merged report is the same whatever the chunk size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from validators.aggregates import Tally
from validators.findings import Finding
from validators.settle import Settlement

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
            "labels": dict(self.tally.labels),
            "totals": dict(self.tally.totals),
            "samples": self.tally.samples,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ChunkReport:
        return cls(
            rows_seen=data["rows_seen"],
            rows_valid=data["rows_valid"],
            findings=[Finding.from_dict(f) for f in data["findings"]],
            finding_count=data["finding_count"],
            rule_counts=Counter(data["rule_counts"]),
            tally=Tally(
                Counter(data.get("labels", {})),
                Counter(data.get("totals", {})),
                data.get("samples", {}),
            ),
        )


# Findings after which no later row of the file can be delimited with confidence (an unclosed
# quote in CSV): the file fails even with skip_malformed_input, and reading stops there.
FATAL_RULES = frozenset({"row|csv"})


@dataclass
class FileReport:
    """A whole file's merged report."""

    role: str  # "train" | "eval"
    rows_seen: int = 0
    rows_valid: int = 0
    findings: list[Finding] = field(default_factory=list)
    finding_count: int = 0
    rule_counts: Counter = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)
    duplicates: int = 0
    first_duplicate_row: int | None = None
    chunks_read: int = 0  # chunks taken in: all, unless a fatal finding stopped the reading
    distinct: dict[str, int] = field(default_factory=dict)  # key field -> distinct values
    leaked_rows: list[int] = field(default_factory=list)  # eval rows equal to a train row
    pruned_labels: dict[str, int] = field(default_factory=dict)  # label -> examples it had
    clashes: list[Finding] = field(default_factory=list)  # all of them (the full report's)
    duplicate_pairs: list[tuple[int, int]] = field(default_factory=list)  # (row, first row)

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
        self.tally.add(chunk.tally)
        self.rows_seen += chunk.rows_seen
        self.rows_valid += chunk.rows_valid

    def settle(self, settlement: Settlement, removed: Tally, clashes_dropped: bool) -> None:
        """Take in what the file-wide comparisons found: exact duplicates leave the counts,
        clashes of unique fields become findings (and leave the counts when dropped)."""
        self.duplicates = settlement.duplicates
        self.first_duplicate_row = settlement.first_duplicate_row
        self.duplicate_pairs = settlement.duplicate_pairs
        self.distinct = settlement.distinct
        clashes = self.clashes = settlement.clashes
        self.rows_valid -= self.duplicates + (len(clashes) if clashes_dropped else 0)
        self.tally.remove(removed)
        self.finding_count += len(clashes)
        self.rule_counts.update(finding.rule for finding in clashes)
        self.findings = sorted([*self.findings, *clashes[:MAX_FINDINGS]])[:MAX_FINDINGS]

    def prune_labels(self, rare: dict[str, int], rows_removed: int) -> None:
        """Labels removed for having too few examples (and the rows that go with them)."""
        self.pruned_labels = rare
        self.rows_valid -= rows_removed
        self.tally.labels = Counter({k: v for k, v in self.tally.labels.items() if k not in rare})
        self.tally.samples = {k: v for k, v in self.tally.samples.items() if k not in rare}


def merge(role: str, chunks: list[ChunkReport]) -> FileReport:
    merged = FileReport(role)
    for chunk in chunks:
        merged.add(chunk)
    return merged
