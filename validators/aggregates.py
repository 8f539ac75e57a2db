"""Numbers over a frame of valid rows that add up across chunks: the metric totals, and the
state each dataset rule keeps (its `tally`, merged by its own `merge`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from validators.rules import DatasetRule
from validators.spec import DatasetSpec


@dataclass
class Tally:
    totals: Counter = field(default_factory=Counter)  # Total.name -> sum over rows
    states: dict[str, Any] = field(default_factory=dict)  # rule code -> the rule's state

    def add(self, other: Tally, rules: tuple[DatasetRule, ...]) -> None:
        """Add the tally of the rows that come next in the file."""
        self.totals.update(other.totals)
        for rule in rules:
            if rule.code in self.states or rule.code in other.states:
                state = rule.merge(self.states.get(rule.code), other.states.get(rule.code))
                self.states[rule.code] = state

    def remove(self, other: Tally, rules: tuple[DatasetRule, ...]) -> None:
        self.totals.subtract(other.totals)
        for rule in rules:
            if rule.code in self.states:
                state = rule.remove(self.states[rule.code], other.states.get(rule.code))
                self.states[rule.code] = state


def tally(spec: DatasetSpec, frame: pl.DataFrame) -> Tally:
    result = Tally()
    if frame.height == 0:
        return result
    for rule in spec.file_rules:
        state = rule.tally(frame)
        if state is not None:
            result.states[rule.code] = state
    if spec.totals:
        sums = frame.select([total.per_row().sum().alias(total.name) for total in spec.totals])
        result.totals = Counter(
            {name: int(value) for name, value in sums.row(0, named=True).items()}
        )
    return result
