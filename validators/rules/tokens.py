"""Token rules over the facts each valid row carries (validators.tokens.sources): the counts
(per file, per row, and Cohere's `trainable_token_count`), and Cohere's chat limits (a turn over
16 384 tokens or a System preamble over 2 048: the conversation is dropped with a warning)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from validators.histograms import bucket_counts, histogram, merged_buckets, percentile
from validators.rules.base import DatasetRule, FileFinding, Settling, plural
from validators.tokens.sources import OVER_LIMIT, TOKENIZER, TOKENS

if TYPE_CHECKING:
    from validators.report import FileReport


@dataclass(frozen=True)
class TokenCounts(DatasetRule):
    """Tokens per row, summed per file; `metric` names the train total in the metrics
    (`trainable_token_count` for fine-tuning, `input_token_count` for a batch)."""

    metric: str = "trainable_token_count"
    code = "tokens"

    def describe(self) -> str:
        return (
            f"counts each valid row's tokens (metrics: {self.metric}; the profile: per-row "
            "min, p50, p95, max) with the tokenizer SIEVE_TOKENIZER names"
        )

    def tally(self, frame: pl.DataFrame) -> dict[str, Any] | None:
        if TOKENS not in frame.columns or frame.height == 0:
            return None
        tokens = frame[TOKENS]
        return {
            "tokenizer": frame[TOKENIZER][0],
            "total": int(tokens.sum()),
            "count": tokens.len(),
            "min": int(tokens.min()),  # type: ignore[arg-type]
            "max": int(tokens.max()),  # type: ignore[arg-type]
            "buckets": bucket_counts(tokens),
        }

    def merge(self, state: dict | None, later: dict | None) -> dict | None:
        if state is None or later is None:
            return state or later
        return {
            "tokenizer": state["tokenizer"],
            "total": state["total"] + later["total"],
            "count": state["count"] + later["count"],
            "min": min(state["min"], later["min"]),
            "max": max(state["max"], later["max"]),
            "buckets": merged_buckets(state["buckets"], later["buckets"]),
        }

    def remove(self, state: dict | None, removed: dict | None) -> dict | None:
        """Rows dropped later leave the sums (the extremes stay those of the rows read)."""
        if state is None or removed is None:
            return state
        negative = {key: -count for key, count in removed["buckets"].items()}
        return {
            **state,
            "total": state["total"] - removed["total"],
            "count": state["count"] - removed["count"],
            "buckets": merged_buckets(state["buckets"], negative),
        }

    def profile(self, report: FileReport) -> dict[str, Any]:
        state = report.states.get(self.code)
        if not state or not state["count"]:
            return {}
        per_row = {
            "min": state["min"],
            "p50": percentile(state, 0.5),
            "p95": percentile(state, 0.95),
            "max": state["max"],
            "histogram": histogram(state),
        }
        return {"tokens": {"tokenizer": state["tokenizer"], "total": state["total"], **per_row}}

    def metrics(self, train_state: Any) -> dict[str, Any]:
        if not train_state:
            return {}
        return {self.metric: train_state["total"], "tokenizer": train_state["tokenizer"]}


@dataclass
class OverLimit:
    rows: list[tuple[int, str]] = field(default_factory=list)  # (row, why)


@dataclass(frozen=True)
class TokenLimits(DatasetRule):
    """A conversation with a turn or a System preamble over Cohere's token limits
    (SIEVE_MAX_TURN_TOKENS, SIEVE_MAX_PREAMBLE_TOKENS) is dropped with a warning, as Cohere
    does."""

    messages: str = "messages"
    code = "messages|token_limit"

    def describe(self) -> str:
        return (
            "a conversation with a turn over 16 384 tokens or a System preamble over 2 048 "
            "is dropped (warning)"
        )

    def settle(self, file: Settling) -> None:
        found = OverLimit()
        for bucket in range(file.hashes.buckets):
            rows = file.hashes.bucket("h1", bucket)
            if OVER_LIMIT not in rows.columns:
                continue
            over = file.kept(rows.filter(pl.col(OVER_LIMIT).is_not_null()))
            file.drop(over)
            found.rows += over.select("row", OVER_LIMIT).iter_rows()
        found.rows.sort()
        file.report.results[self.code] = found

    def found(self, report: FileReport) -> OverLimit:
        return report.results.get(self.code) or OverLimit()

    def notes(self, files: list[FileReport]) -> list[str]:
        return [
            f"{plural(len(over.rows), 'conversation')} over Cohere's token limits "
            f"{'were' if len(over.rows) != 1 else 'was'} dropped from the {report.role} file "
            f"(the first: row {over.rows[0][0]}: {over.rows[0][1]})"
            for report in files
            if (over := self.found(report)).rows
        ]

    def file_findings(self, report: FileReport) -> list[FileFinding]:
        return [
            (row, self.messages, f"{why}: dropped", self.code, None, "dropped")
            for row, why in self.found(report).rows
        ]

    def counts(self, report: FileReport) -> dict[str, int]:
        return {self.code: len(self.found(report).rows)}
