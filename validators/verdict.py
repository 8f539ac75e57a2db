"""Whole-dataset judgement over merged file reports: validated or failed, and why.

The first problem becomes `validation_error`, the rest `validation_warnings`, capped at
MAX_FINDINGS with a closing "... and N more". With skip_malformed_input, bad rows are dropped and
only reported as warnings; file-level problems and dataset rules (minimum examples, labels)
still fail. Dataset rules are judged on the rows without errors, and listed right after the
first error (so one round trip shows everything). Exact duplicates are dropped with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validators.conversions import OTHER_FORMAT
from validators.findings import bounded
from validators.formats import save_as_utf8
from validators.report import FATAL_RULES, MAX_FINDINGS, FileReport
from validators.spec import DatasetSpec


@dataclass
class Verdict:
    status: str  # "validated" | "failed"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    # How many of the first warnings also fail the dataset (Cohere's shape has one error
    # string; the rest of the errors come first among the warnings).
    failing_warnings: int = 0


def judge(spec: DatasetSpec, files: list[FileReport], skip_malformed: bool) -> Verdict:
    errors: list[str] = []
    notes: list[str] = []
    unlisted = 0
    for report in files:
        unlisted += report.finding_count - len(report.findings)
        other_format = any(finding.rule == OTHER_FORMAT for finding in report.findings)
        for finding in report.findings:
            if finding.row and other_format:  # said once for the file (the report has each)
                unlisted += 1
            elif finding.row and skip_malformed and finding.rule not in FATAL_RULES:
                notes.append(f"{finding.message(report.role)} (row dropped)")
            elif finding.rule == NOT_UTF8 and _whole_file_not_utf8(report):
                errors.append(_not_utf8(report, spec.name))  # said once (the report has each row)
            else:
                errors.append(finding.message(report.role))
        if not skip_malformed and _whole_file_not_utf8(report):  # counted in that message
            shown = sum(1 for finding in report.findings if finding.rule == NOT_UTF8)
            unlisted -= report.rule_counts[NOT_UTF8] - shown
    errors = list(dict.fromkeys(errors))  # a file-level problem is seen by every chunk
    # The dataset rules need the whole files: a file whose reading stopped at a broken row (a
    # quote never closed, a row too long) has rows beyond it that nobody counted.
    stopped = any(report.stopped for report in files)
    rules = () if stopped else spec.file_rules
    problems = [p for r in rules for p in r.problems(spec.name, files, bool(errors))]
    errors = errors[:1] + problems + errors[1:]  # one round trip shows everything
    notes.extend(note for rule in spec.file_rules for note in rule.notes(files))
    errors, notes = [bounded(e) for e in errors], [bounded(n) for n in notes]
    if errors:
        warnings = _capped(errors[1:] + notes, unlisted)
        failing = min(len(errors) - 1, MAX_FINDINGS)
        return Verdict("failed", errors[0], warnings, failing_warnings=failing)
    return Verdict("validated", None, _capped(notes, unlisted))


NOT_UTF8 = "row|utf8"
LEGACY_ROWS = 3  # this many rows that aren't UTF-8: the file is, most likely, in another encoding


def _whole_file_not_utf8(report: FileReport) -> bool:
    return report.rule_counts[NOT_UTF8] >= LEGACY_ROWS


def _not_utf8(report: FileReport, dataset_type: str) -> str:
    """Rows that aren't UTF-8, said once: most likely the whole file is in a legacy encoding."""
    count = report.rule_counts[NOT_UTF8]
    first = min(f.row for f in report.findings if f.rule == NOT_UTF8)
    rows = f"{count} row{'s hold' if count != 1 else ' holds'} bytes that are not"
    return (
        f"the {report.role} file is not UTF-8: {rows} (the first: row {first}); it is likely "
        'in a legacy encoding such as Windows-1252 (Excel\'s "CSV" on Windows) or Latin-1: '
        f"{save_as_utf8('CP1252', dataset_type)}"
    )


def _capped(messages: list[str], unlisted: int) -> list[str]:
    """At most MAX_FINDINGS messages, then one line counting everything not shown."""
    hidden = unlisted + max(0, len(messages) - MAX_FINDINGS)
    shown = messages[:MAX_FINDINGS]
    return [*shown, f"... and {hidden} more"] if hidden else shown
