"""Numbers over a frame of valid rows that add up across chunks: label tallies (with a few
sample texts per label), metric totals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from validators.spec import DatasetSpec

SAMPLES_PER_LABEL = 3


@dataclass
class Tally:
    labels: Counter = field(default_factory=Counter)  # label -> examples having it
    totals: Counter = field(default_factory=Counter)  # Total.name -> sum over rows
    samples: dict[str, list[str]] = field(default_factory=dict)  # label -> first texts

    def add(self, other: Tally) -> None:
        """Add the tally of the rows that come next in the file (samples stay in file order)."""
        self.labels.update(other.labels)
        self.totals.update(other.totals)
        for label, texts in other.samples.items():
            mine = self.samples.setdefault(label, [])
            mine.extend(t for t in texts if t not in mine)
            del mine[SAMPLES_PER_LABEL:]

    def remove(self, other: Tally) -> None:
        self.labels.subtract(other.labels)
        self.totals.subtract(other.totals)
        self.labels = +self.labels  # drop labels that reached zero
        self.samples = {label: t for label, t in self.samples.items() if label in self.labels}


def tally(spec: DatasetSpec, frame: pl.DataFrame) -> Tally:
    result = Tally()
    if frame.height == 0:
        return result
    if spec.labels is not None:
        column = frame[spec.labels.field]
        if isinstance(column.dtype, pl.List):
            column = column.list.unique().explode()
        counts = column.drop_nulls().value_counts()
        result.labels = Counter(
            dict(zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True))
        )
        result.samples = label_samples(frame, spec.labels.field, spec.labels.text_field)
    if spec.totals:
        sums = frame.select([total.per_row().sum().alias(total.name) for total in spec.totals])
        result.totals = Counter(
            {name: int(value) for name, value in sums.row(0, named=True).items()}
        )
    return result


def label_samples(frame: pl.DataFrame, label: str, text: str) -> dict[str, list[str]]:
    """The first few distinct texts of each label, in row order (a few dozen looked at per
    label: no sort or unique over the whole frame)."""
    rows = frame.select(label, text)
    if isinstance(rows.schema[label], pl.List):
        rows = rows.explode(label)
    firsts = (
        rows.drop_nulls(label)
        .group_by(label, maintain_order=True)
        .agg(pl.col(text).head(8 * SAMPLES_PER_LABEL))
    )
    samples: dict[str, list[str]] = {}
    for name, texts in firsts.iter_rows():
        samples[name] = list(dict.fromkeys(texts))[:SAMPLES_PER_LABEL]
    return samples
