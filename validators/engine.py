"""Apply a dataset type's row rules to one parsed chunk: a report and the frame of valid rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl

from validators.aggregates import tally
from validators.conversions import other_format_finding
from validators.findings import Finding, bounded
from validators.parsing import ROW, ParsedChunk, ParseOptions, parse_chunk
from validators.report import MAX_FINDINGS, ChunkReport
from validators.spec import DatasetSpec, RowRule, present
from validators.tokens.sources import TokenOptions, with_token_facts


@dataclass(frozen=True)
class RuleOptions:
    file_format: str
    keep_fields: tuple[str, ...] = ()
    tokens: TokenOptions = TokenOptions()


def rules_for(spec: DatasetSpec, options: RuleOptions) -> tuple[RowRule, ...]:
    """The spec's row rules plus `keep_fields`, which every row must have."""
    extra = tuple(present(name) for name in options.keep_fields if name not in spec.field_names)
    return spec.row_rules + extra


def header_finding(spec: DatasetSpec, parsed: ParsedChunk, options: RuleOptions) -> Finding | None:
    if options.file_format != "csv" or set(spec.required_fields) <= set(parsed.columns):
        return None
    read = bounded(repr(list(parsed.columns)), 300)
    reason = (
        f"csv files must have a header with the required fields: {spec.required_fields}; "
        f"the header read has {read}"
    )
    hint = _header_hint(spec.required_fields, parsed.columns)
    return Finding(0, None, reason + hint, "file|csv_header")


# (delimiter, its name, as the API's csv_delimiter takes it, as the CLI's --delimiter takes it)
_DELIMITERS = (
    (";", "';'", ";", "';'"),
    ("\t", "a tab", "%09", "$'\\t'"),
    ("|", "'|'", "|", "'|'"),
    (",", "','", ",", "','"),
)


def _header_hint(required: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """What would make the header match: another delimiter (as the API and the CLI spell
    it), renames where only letter case differs, or both."""
    header = ",".join(columns)
    splits = [(None, columns)] + [
        (spelling, tuple(name.strip().strip('"') for name in header.split(spelling[0])))
        for spelling in _DELIMITERS
        if spelling[0] in header
    ]
    for delimiter, names in splits:
        renames = _renames(required, names)
        if renames is None:
            continue
        said = []
        if delimiter is not None:
            _, name, api, cli = delimiter
            said.append(
                f"it would match with {name} as the delimiter: csv_delimiter={api} in the "
                f"API, --delimiter {cli} with the CLI"
            )
        if renames:
            said.append(f"field names are case-sensitive: rename {renames}")
        return f" ({'; and '.join(said)})" if said else ""
    return ""


def _renames(required: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    """'' when `names` has every required field, the renames when letter case is all that
    differs, else None."""
    by_lower = {name.lower(): name for name in names}
    missing = [field for field in required if field not in names]
    if not all(field.lower() in by_lower for field in missing):
        return None
    return ", ".join(f"'{by_lower[field.lower()]}' to '{field}'" for field in missing)


def read_chunk(
    spec: DatasetSpec, data: bytes, options: ParseOptions, at_file_start: bool
) -> ParsedChunk:
    """The chunk parsed; at a JSONL file's start, a file in another format that converts to
    this type (OpenAI's chat fine-tuning, say) is told so by one file-level finding."""
    parsed = parse_chunk(data, options, at_file_start=at_file_start)
    if at_file_start and options.format == "jsonl":
        other_format = other_format_finding(spec.name, data)
        if other_format is not None:
            parsed.findings.insert(0, other_format)
    return parsed


def evaluate_chunk(
    spec: DatasetSpec, parsed: ParsedChunk, options: RuleOptions
) -> tuple[ChunkReport, pl.DataFrame]:
    header = header_finding(spec, parsed, options)
    if header is not None:
        report = ChunkReport(parsed.rows_seen, 0, [header], 1, Counter({header.rule: 1}))
        return report, parsed.frame.clear()
    rules = rules_for(spec, options)
    if not rules or parsed.frame.height == 0:
        valid = with_token_facts(spec.tokens, narrowed(spec, parsed.frame), options.tokens)
        report = _report(parsed, parsed.frame.select(ROW), (), parsed.frame.height)
        report.tally = tally(spec, valid)
        return report, valid
    verdicts = parsed.frame.select(ROW, *[rule.passes().alias(rule.name) for rule in rules])
    valid_mask = pl.all_horizontal([pl.col(rule.name) for rule in rules])
    valid = parsed.frame.filter(verdicts.select(valid_mask).to_series())
    valid = with_token_facts(spec.tokens, narrowed(spec, valid), options.tokens)
    report = _report(parsed, verdicts, rules, valid.height)
    report.tally = tally(spec, valid)
    return report, valid


def narrowed(spec: DatasetSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """The rows as stored: without what the rules read beyond the kept values."""
    return frame.with_columns(
        expr
        for name, kind in spec.field_kinds
        if name in frame.columns and (expr := kind.narrowed(name)) is not None
    )


def first_broken_rule(rules: tuple[RowRule, ...]) -> pl.Expr:
    """The index of the first rule a row breaks, in the spec's order (null: none)."""
    return pl.coalesce([pl.when(~rule.passes()).then(pl.lit(i)) for i, rule in enumerate(rules)])


def _detailed_reasons(
    frame: pl.DataFrame, shown: pl.DataFrame, rules: tuple[RowRule, ...]
) -> dict[int, str]:
    """Row -> its reason, for the shown failing rows whose rule words each one itself."""
    reasons: dict[int, str] = {}
    for index, rule in enumerate(rules):
        rows = shown.filter(pl.col("rule") == index)[ROW] if rule.detail else None
        if rows is not None and rows.len():
            failing = frame.filter(pl.col(ROW).is_in(rows.implode()))
            worded = failing.select(ROW, rule.reason_expr().alias("reason"))
            reasons.update(dict(worded.iter_rows()))
    return reasons


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
        shown = failing.head(MAX_FINDINGS)
        reasons = _detailed_reasons(parsed.frame, shown, rules)
        for row, index in shown.iter_rows():
            rule = rules[index]
            findings.append(Finding(row, rule.field, reasons.get(row, rule.reason), rule.name))
    findings.sort(key=lambda f: f.row)
    return ChunkReport(
        rows_seen=parsed.rows_seen,
        rows_valid=rows_valid,
        findings=findings[:MAX_FINDINGS],
        finding_count=sum(counts.values()),
        rule_counts=counts,
    )
