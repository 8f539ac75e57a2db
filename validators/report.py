"""Mergeable chunk reports: what one chunk saw, in numbers that add up across chunks.

Row numbers in a chunk report are local to the chunk; merging shifts them by the rows seen in
the earlier chunks of the same file, so a merged report is the same whatever the chunk size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from validators.aggregates import Tally
from validators.findings import Finding

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
        }

    @classmethod
    def from_dict(cls, data: dict) -> ChunkReport:
        return cls(
            rows_seen=data["rows_seen"],
            rows_valid=data["rows_valid"],
            findings=[Finding.from_dict(f) for f in data["findings"]],
            finding_count=data["finding_count"],
            rule_counts=Counter(data["rule_counts"]),
            tally=Tally(Counter(data.get("labels", {})), Counter(data.get("totals", {}))),
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

    def drop_duplicates(self, count: int, first_row: int | None, removed: Tally) -> None:
        """Take exact duplicates (found across the whole file) out of the counts."""
        self.duplicates += count
        self.rows_valid -= count
        self.tally.remove(removed)
        if first_row is not None and (
            self.first_duplicate_row is None or first_row < self.first_duplicate_row
        ):
            self.first_duplicate_row = first_row


def merge(role: str, chunks: list[ChunkReport]) -> FileReport:
    merged = FileReport(role)
    for chunk in chunks:
        merged.add(chunk)
    return merged
