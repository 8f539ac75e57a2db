"""Whole-dataset judgement over merged file reports: validated or failed, and why.

The first problem becomes `validation_error`, the rest `validation_warnings`, capped at
MAX_FINDINGS with a closing "... and N more". With skip_malformed_input, bad rows are dropped and
only reported as warnings; file-level problems and dataset rules (minimum examples, labels)
still fail. Dataset rules are judged on the rows without errors, and listed right after the
first error (so one round trip shows everything). Exact duplicates are dropped with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validators.findings import bounded
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
        for finding in report.findings:
            if finding.row and skip_malformed and finding.rule not in FATAL_RULES:
                notes.append(f"{finding.message(report.role)} (row dropped)")
            else:
                errors.append(finding.message(report.role))
    errors = list(dict.fromkeys(errors))  # a file-level problem is seen by every chunk
    problems = [p for r in spec.file_rules for p in r.problems(spec.name, files, bool(errors))]
    errors = errors[:1] + problems + errors[1:]  # one round trip shows everything
    notes.extend(note for rule in spec.file_rules for note in rule.notes(files))
    errors, notes = [bounded(e) for e in errors], [bounded(n) for n in notes]
    if errors:
        warnings = _capped(errors[1:] + notes, unlisted)
        failing = min(len(errors) - 1, MAX_FINDINGS)
        return Verdict("failed", errors[0], warnings, failing_warnings=failing)
    return Verdict("validated", None, _capped(notes, unlisted))


def _capped(messages: list[str], unlisted: int) -> list[str]:
    """At most MAX_FINDINGS messages, then one line counting everything not shown."""
    hidden = unlisted + max(0, len(messages) - MAX_FINDINGS)
    shown = messages[:MAX_FINDINGS]
    return [*shown, f"... and {hidden} more"] if hidden else shown
