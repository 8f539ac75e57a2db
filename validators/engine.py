"""Apply a dataset type's row rules to one parsed chunk: a report and the frame of valid rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl

from validators.aggregates import tally
from validators.findings import Finding
from validators.parsing import ROW, ParsedChunk
from validators.report import MAX_FINDINGS, ChunkReport
from validators.spec import DatasetSpec, RowRule, present


@dataclass(frozen=True)
class RuleOptions:
    file_format: str
    keep_fields: tuple[str, ...] = ()


def rules_for(spec: DatasetSpec, options: RuleOptions) -> tuple[RowRule, ...]:
    """The spec's row rules plus `keep_fields`, which every row must have."""
    extra = tuple(present(name) for name in options.keep_fields if name not in spec.field_names)
    return spec.row_rules + extra


def header_finding(spec: DatasetSpec, parsed: ParsedChunk, options: RuleOptions) -> Finding | None:
    if options.file_format != "csv" or set(spec.required_fields) <= set(parsed.columns):
        return None
    reason = f"csv files must have a header with the required fields: {spec.required_fields}"
    return Finding(0, None, reason + _delimiter_hint(spec, parsed.columns), "file|csv_header")


def _delimiter_hint(spec: DatasetSpec, columns: tuple[str, ...]) -> str:
    """Name the delimiter the header would match with, when another one would."""
    header = ",".join(columns)
    for delimiter, shown in ((";", ";"), ("\t", "\\t (tab)"), ("|", "|"), (",", ",")):
        names = {name.strip().strip('"') for name in header.split(delimiter)}
        if set(spec.required_fields) <= names:
            return f" (the header would match with csv_delimiter={shown!s})"
    return ""


def evaluate_chunk(
    spec: DatasetSpec, parsed: ParsedChunk, options: RuleOptions
) -> tuple[ChunkReport, pl.DataFrame]:
    header = header_finding(spec, parsed, options)
    if header is not None:
        report = ChunkReport(parsed.rows_seen, 0, [header], 1, Counter({header.rule: 1}))
        return report, parsed.frame.clear()
    rules = rules_for(spec, options)
    if not rules or parsed.frame.height == 0:
        report = _report(parsed, parsed.frame.select(ROW), (), parsed.frame.height)
        report.tally = tally(spec, parsed.frame)
        return report, parsed.frame
    verdicts = parsed.frame.select(ROW, *[rule.passes().alias(rule.name) for rule in rules])
    valid_mask = pl.all_horizontal([pl.col(rule.name) for rule in rules])
    valid = parsed.frame.filter(verdicts.select(valid_mask).to_series())
    report = _report(parsed, verdicts, rules, valid.height)
    report.tally = tally(spec, valid)
    return report, valid


def first_broken_rule(rules: tuple[RowRule, ...]) -> pl.Expr:
    """The index of the first rule a row breaks, in the spec's order (null: none)."""
    return pl.coalesce([pl.when(~rule.passes()).then(pl.lit(i)) for i, rule in enumerate(rules)])


def _report(
    parsed: ParsedChunk, verdicts: pl.DataFrame, rules: tuple[RowRule, ...], rows_valid: int
) -> ChunkReport:
    """One finding per bad row: the first rule it breaks, in the spec's order."""
    counts = Counter(f.rule for f in parsed.findings)
    findings = list(parsed.findings)
    if rules:
        first_broken = pl.coalesce(
            [pl.when(~pl.col(rule.name)).then(pl.lit(i)) for i, rule in enumerate(rules)]
        )  # over the verdict columns (first_broken_rule evaluates the rules themselves)
        failing = verdicts.select(ROW, first_broken.alias("rule")).drop_nulls("rule")
        for index, count in failing["rule"].value_counts().iter_rows():
            counts[rules[index].name] += count
        for row, index in failing.head(MAX_FINDINGS).iter_rows():
            rule = rules[index]
            findings.append(Finding(row, rule.field, rule.reason, rule.name))
    findings.sort(key=lambda f: f.row)
    return ChunkReport(
        rows_seen=parsed.rows_seen,
        rows_valid=rows_valid,
        findings=findings[:MAX_FINDINGS],
        finding_count=sum(counts.values()),
        rule_counts=counts,
    )
