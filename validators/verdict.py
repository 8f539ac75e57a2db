"""Whole-dataset judgement over merged file reports: validated or failed, and why.

The first problem becomes `validation_error`, the rest `validation_warnings`, capped at
MAX_FINDINGS with a closing "... and N more". With skip_malformed_input, bad rows are dropped and
only reported as warnings; file-level problems and dataset rules (minimum examples) still fail.
Dataset rules are judged only when no row already failed the dataset (their message would only
restate the row errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validators.report import MAX_FINDINGS, FileReport
from validators.spec import DatasetSpec


@dataclass
class Verdict:
    status: str  # "validated" | "failed"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def judge(spec: DatasetSpec, files: list[FileReport], skip_malformed: bool) -> Verdict:
    errors: list[str] = []
    dropped: list[str] = []
    unlisted = 0
    for report in files:
        unlisted += report.finding_count - len(report.findings)
        for finding in report.findings:
            if finding.row and skip_malformed:
                dropped.append(f"{finding.message(report.role)} (row dropped)")
            else:
                errors.append(finding.message(report.role))
    if not errors:
        errors = _count_problems(spec, files)
    if errors:
        return Verdict("failed", errors[0], _capped(errors[1:] + dropped, unlisted))
    return Verdict("validated", None, _capped(dropped, unlisted))


def _count_problems(spec: DatasetSpec, files: list[FileReport]) -> list[str]:
    by_role = {report.role: report for report in files}
    has_eval = "eval" in by_role
    rule = spec.min_examples
    needed = {
        "train": rule.with_eval if has_eval and rule.with_eval is not None else rule.train,
        "eval": max(rule.eval, 1),
    }
    return [
        _too_few(role, by_role[role].rows_valid, needed[role], spec.name)
        for role in ("train", "eval")
        if role in by_role and by_role[role].rows_valid < needed[role]
    ]


def _too_few(role: str, found: int, needed: int, type_name: str) -> str:
    plural = "s" if found != 1 else ""
    return f"the {role} file has {found} valid example{plural}; {type_name} needs at least {needed}"


def _capped(messages: list[str], unlisted: int) -> list[str]:
    """At most MAX_FINDINGS messages, then one line counting everything not shown."""
    hidden = unlisted + max(0, len(messages) - MAX_FINDINGS)
    shown = messages[:MAX_FINDINGS]
    return [*shown, f"... and {hidden} more"] if hidden else shown
