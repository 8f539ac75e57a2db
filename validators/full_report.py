"""The full validation report: every finding of every row, no cap, machine-readable.

A chunk's findings are a polars frame (`chunk_findings`) written beside the chunk's report with
row numbers local to the chunk; the report's reader (`report_lines`) makes them file-wide by
the rows of the chunks before, as `validators.report` does for the capped list. What only the
whole file shows (clashes of unique fields, duplicates, leaks, pruned labels) is added once
every chunk is in (`file_wide_findings`). Memory stays bounded by one chunk either way.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Iterator
from enum import StrEnum

import polars as pl

from validators.engine import first_broken_rule, header_finding, rules_for
from validators.findings import EXCERPT_CHARS, Finding, message_expr
from validators.parsing import ROW, ParsedChunk
from validators.report import FATAL_RULES, FileReport
from validators.spec import DatasetSpec

COLUMNS = {
    "row": pl.UInt32,
    "line": pl.UInt32,  # where the row starts in the chunk's data (file-wide: in the file)
    "field": pl.String,
    "reason": pl.String,
    "rule": pl.String,
    "excerpt": pl.String,
}
FOUND = {name: dtype for name, dtype in COLUMNS.items() if name != "line"}  # before lines


class Severity(StrEnum):
    ERROR = "error"  # fails the dataset
    DROPPED = "dropped"  # the row is left out (skip_malformed_input, duplicates)
    WARNING = "warning"  # kept, but worth a look


def chunk_findings(spec: DatasetSpec, parsed: ParsedChunk, options: object) -> pl.DataFrame:
    """Every finding of one chunk (rows local to it): its parse findings, and for each bad
    row the first rule it breaks, with an excerpt of the offending value."""
    header = header_finding(spec, parsed, options)
    frames = [_frame(parsed.findings if header is None else [header])]
    rules = rules_for(spec, options)
    if header is None and rules and parsed.frame.height:
        failing = parsed.frame.with_columns(first_broken_rule(rules).alias("_rule")).filter(
            pl.col("_rule").is_not_null()
        )
        for index, rule in enumerate(rules):
            broken = failing.filter(pl.col("_rule") == index)
            if broken.height:
                frames.append(
                    broken.select(
                        pl.col(ROW).cast(pl.UInt32).alias("row"),
                        pl.lit(rule.field, pl.String).alias("field"),
                        rule.reason_expr().cast(pl.String).alias("reason"),
                        pl.lit(rule.name, pl.String).alias("rule"),
                        _excerpt(spec, broken, rule.field).alias("excerpt"),
                    )
                )
    found = pl.concat(frames).sort("row", maintain_order=True)
    line = pl.when(pl.col("row") > 0).then(parsed.line_of(found["row"].clip(1))).otherwise(0)
    return found.with_columns(line.cast(pl.UInt32).alias("line")).select(list(COLUMNS))


def _frame(findings: list[Finding]) -> pl.DataFrame:
    rows = [(f.row, f.field, f.reason, f.rule, f.excerpt) for f in findings]
    return pl.DataFrame(rows, schema=FOUND, orient="row")


def _excerpt(spec: DatasetSpec, frame: pl.DataFrame, name: str) -> pl.Expr:
    """The offending value as stored, short: the text itself, or the value as JSON for other
    kinds."""
    if name not in frame.columns:
        return pl.lit(None, pl.String)
    kind = dict(spec.field_kinds).get(name)
    stored = kind.narrowed(name) if kind else None
    column = pl.col(name) if stored is None else stored
    if frame.schema[name] != pl.String:
        column = pl.struct(column).struct.json_encode().str.slice(len(name) + 4).str.head(-1)
    return column.str.slice(0, EXCERPT_CHARS)


def file_wide_findings(spec: DatasetSpec, report: FileReport) -> pl.DataFrame:
    """What only the whole file shows, rows already file-wide, as each rule lists it: clashes
    of unique fields, eval rows equal to train rows, labels removed, duplicates dropped."""
    rows = [row for rule in spec.file_rules for row in rule.file_findings(report)]
    found = pl.DataFrame(rows, schema={**FOUND, "severity": pl.String}, orient="row")
    return found.sort("row", maintain_order=True)  # lines: read_report finds them


def file_wide_counts(spec: DatasetSpec, report: FileReport) -> Counter:
    """The findings per code that the rules list beyond the row findings."""
    counts: Counter = Counter()
    for rule in spec.file_rules:
        counts.update(rule.counts(report))
    return counts


REPORT_COLUMNS = (
    "code", "severity", "file", "filename", "row", "line", "field", "excerpt", "message"
)  # fmt: skip


def report_frame(
    found: pl.DataFrame,
    offset: int,
    role: str,
    filename: str,
    skip_malformed: bool,
    line_offset: int | None = 0,
) -> pl.DataFrame:
    """Findings as the report's rows: row numbers moved on by `offset` (the rows before) and
    lines by `line_offset` (the file's lines before; None: not known), each with its severity
    and message."""
    row = pl.when(pl.col("row") > 0).then(pl.col("row") + offset).otherwise(0)
    line = pl.lit(None, pl.Int64)
    if line_offset is not None:
        line = pl.when(pl.col("row") > 0).then(pl.col("line") + line_offset)
    whole_file = (pl.col("row") == 0) | pl.col("rule").is_in(sorted(FATAL_RULES))
    default = Severity.DROPPED if skip_malformed else Severity.ERROR
    severity = (
        pl.when(whole_file).then(pl.lit(Severity.ERROR.value)).otherwise(pl.lit(default.value))
    )
    if "severity" in found.columns:
        severity = pl.coalesce(pl.col("severity"), severity)
    shifted = found.with_columns(row.cast(pl.Int64).alias("row"))
    return shifted.select(
        pl.col("rule").alias("code"),
        severity.alias("severity"),
        pl.lit(role).alias("file"),
        pl.lit(filename).alias("filename"),
        pl.col("row"),
        line.cast(pl.Int64).alias("line"),
        pl.col("field"),
        pl.col("excerpt"),
        message_expr(role).alias("message"),
    )


def read_findings(data: bytes) -> pl.DataFrame:
    schema = {**COLUMNS, "row": pl.Int64, "line": pl.Int64, "severity": pl.String}
    if not data.strip():
        return pl.DataFrame(schema=schema)
    return pl.read_ndjson(io.BytesIO(data), schema=schema)


TEXT_COLUMNS = ("code", "filename", "field", "excerpt", "message")


def report_text(frames: Iterable[pl.DataFrame], form: str) -> Iterator[str]:
    """The report's rows as JSONL, or as CSV whose text cells a spreadsheet shows as text and
    never runs as a formula (OWASP, 2025: a leading = + - @, tab, CR or LF gets a quote)."""
    if form != "csv":
        for frame in frames:
            yield frame.write_ndjson()
        return
    first = True
    for frame in frames:
        escaped = frame.with_columns(
            pl.when(pl.col(name).str.contains(r"^[=+\-@\t\r\n]"))
            .then(pl.lit("'") + pl.col(name))
            .otherwise(pl.col(name))
            .alias(name)
            for name in TEXT_COLUMNS
        )
        yield escaped.write_csv(include_header=first)
        first = False
    if first:
        yield ",".join(REPORT_COLUMNS) + "\n"
