"""Cohere's label rule for classification: a label with fewer than `min_per_label` train
examples is removed (a warning; its rows, or its mentions, dropped); what remains needs
`min_labels` labels, and no label may be in every train example."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from validators.findings import EXCERPT_CHARS, SHOWN_CHARS, bounded
from validators.rules.base import DatasetRule, FileFinding, file_of, plural

if TYPE_CHECKING:
    from validators.report import FileReport

SAMPLES_PER_LABEL = 3


@dataclass(frozen=True)
class LabelRules(DatasetRule):
    """State: {"labels": {label: examples}, "samples": {label: first texts}}; results: the
    labels removed, {label: examples it had}."""

    field: str
    min_per_label: int = 5
    min_labels: int = 2
    text_field: str = "text"
    one_per_row: bool = True  # single-label: a removed label takes its rows along
    code = "label|rules"

    def rows_needed(self, role: str) -> int:
        return self.min_per_label * self.min_labels if role == "train" else 1

    def tally(self, frame: pl.DataFrame) -> dict[str, Any]:
        column = frame[self.field]
        if isinstance(column.dtype, pl.List):
            column = column.list.unique().explode()
        counts = column.drop_nulls().value_counts()
        labels = dict(zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True))
        return {"labels": labels, "samples": _samples(frame, self.field, self.text_field)}

    def merge(self, state: dict | None, later: dict | None) -> dict[str, Any]:
        """Samples stay in file order: the earlier chunk's first."""
        state, later = state or _empty(), later or _empty()
        labels = Counter(state["labels"]) + Counter(later["labels"])
        samples = {label: list(texts) for label, texts in state["samples"].items()}
        for label, texts in later["samples"].items():
            mine = samples.setdefault(label, [])
            mine.extend(t for t in texts if t not in mine)
            del mine[SAMPLES_PER_LABEL:]
        return {"labels": dict(labels), "samples": samples}

    def remove(self, state: dict | None, removed: dict | None) -> dict[str, Any]:
        state, removed = state or _empty(), removed or _empty()
        labels = Counter(state["labels"])
        labels.subtract(removed["labels"])
        kept = {label: n for label, n in labels.items() if n > 0}
        samples = {label: t for label, t in state["samples"].items() if label in kept}
        return {"labels": kept, "samples": samples}

    def conclude(self, report: FileReport) -> None:
        """Remove the rare labels of the train file (the eval file keeps what it has)."""
        if report.role != "train":
            return
        state = report.states.get(self.code) or _empty()
        rare = {label: n for label, n in state["labels"].items() if n < self.min_per_label}
        report.results[self.code] = rare
        report.rows_valid -= sum(rare.values()) if self.one_per_row else 0
        report.states[self.code] = self.remove(state, {"labels": rare, "samples": {}})

    def labels(self, report: FileReport) -> dict[str, int]:
        return (report.states.get(self.code) or _empty())["labels"]

    def removed(self, report: FileReport | None) -> dict[str, int]:
        return report.results.get(self.code, {}) if report is not None else {}

    def problems(
        self, type_name: str, files: list[FileReport], row_errors: bool = False
    ) -> list[str]:
        """Judged on what is left once the rare labels were removed."""
        train = file_of(files, "train")
        if train is None or train.rows_valid == 0:
            return []
        labels = self.labels(train)
        if len(labels) < self.min_labels:
            found = ", ".join(repr(label) for label in sorted(labels)) or "none"
            kept = f" with at least {self.min_per_label} examples" if self.removed(train) else ""
            return [
                f"the train file has {plural(len(labels), 'distinct label')}{kept} ({found}); "
                f"{type_name} needs at least {self.min_labels}"
            ]
        return [
            f"label {label!r} is in every example of the train file; "
            "a label can't be in all of them"
            for label, count in sorted(labels.items())
            if count >= train.rows_valid
        ]

    def notes(self, files: list[FileReport]) -> list[str]:
        what = "its examples were dropped" if self.one_per_row else "it was taken off its examples"
        return [
            f"label {label!r} has {plural(count, 'example')} in the train file, fewer than "
            f"{self.min_per_label}: it was removed ({what}), as Cohere does"
            for label, count in sorted(self.removed(file_of(files, "train")).items())
        ]

    def reshapes(self, report: FileReport) -> bool:
        return bool(self.removed(report))

    def reshape(self, report: FileReport, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
        """A single-label row goes with its removed label; a multi-label row loses just it."""
        rare = sorted(self.removed(report))
        if isinstance(rows.schema[self.field], pl.List):
            gone = pl.lit(rare, dtype=pl.List(pl.String))
            kept = pl.Series([True] * rows.height)
            return rows.with_columns(pl.col(self.field).list.set_difference(gone)), kept
        kept = rows.select(~pl.col(self.field).is_in(rare)).to_series()
        return rows.filter(kept), kept

    def file_findings(self, report: FileReport) -> list[FileFinding]:
        return [
            (0, None, f"label {label!r} has only {count} examples: removed", "label|min_per_label",
             label[:EXCERPT_CHARS], "warning")
            for label, count in self.removed(report).items()
        ]  # fmt: skip

    def counts(self, report: FileReport) -> dict[str, int]:
        return {"label|min_per_label": len(self.removed(report))}

    def profile(self, report: FileReport) -> dict[str, Any]:
        return {"labels": dict(Counter(self.labels(report)).most_common())}

    def metrics(self, train_state: dict | None) -> dict[str, Any]:
        """cohere's classify_data_metrics: each label's examples and a few sample texts."""
        state = train_state or _empty()
        return {
            "classify_data_metrics": {
                "label_metrics": [
                    {
                        "label": bounded(label, SHOWN_CHARS),
                        "total_examples": count,
                        "samples": [
                            bounded(t, SHOWN_CHARS) for t in state["samples"].get(label, [])
                        ],
                    }
                    for label, count in sorted(state["labels"].items())
                ]
            }
        }

    def describe(self) -> str:
        return (
            f"labels with fewer than {self.min_per_label} train examples are removed (warning); "
            f"at least {self.min_labels} labels must remain; no label may be in every example"
        )


def _empty() -> dict[str, Any]:
    return {"labels": {}, "samples": {}}


def _samples(frame: pl.DataFrame, label: str, text: str) -> dict[str, list[str]]:
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
    return {
        name: list(dict.fromkeys(texts))[:SAMPLES_PER_LABEL] for name, texts in firsts.iter_rows()
    }
