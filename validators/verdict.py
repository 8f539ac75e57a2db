"""Whole-dataset judgement over merged file reports: validated or failed, and why.

The first problem becomes `validation_error`, the rest `validation_warnings` (capped, with a
count of the rest). With skip_malformed_input, bad rows are dropped and only reported as
warnings; file-level problems and dataset rules (minimum examples) still fail the dataset.
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
    warnings: list[str] = []
    for report in files:
        row_problems = [f for f in report.findings if f.row]
        file_problems = [f.message(report.role) for f in report.findings if not f.row]
        errors.extend(file_problems)
        if skip_malformed:
            warnings.extend(f"{f.message(report.role)} (row dropped)" for f in row_problems)
            warnings.extend(_more(report.finding_count - len(report.findings)))
        else:
            errors.extend(f.message(report.role) for f in row_problems)
            errors.extend(_more(report.finding_count - len(report.findings)))
    if not any(not f.row for r in files for f in r.findings):
        errors.extend(_count_problems(spec, files))
    if errors:
        return Verdict("failed", errors[0], _capped(errors[1:] + warnings))
    return Verdict("validated", None, _capped(warnings))


def _count_problems(spec: DatasetSpec, files: list[FileReport]) -> list[str]:
    by_role = {report.role: report for report in files}
    has_eval = "eval" in by_role
    rule = spec.min_examples
    needed_train = rule.with_eval if has_eval and rule.with_eval is not None else rule.train
    problems = []
    if by_role["train"].rows_valid < needed_train:
        problems.append(_too_few("train", by_role["train"].rows_valid, needed_train, spec.name))
    if has_eval and by_role["eval"].rows_valid < max(rule.eval, 1):
        problems.append(_too_few("eval", by_role["eval"].rows_valid, max(rule.eval, 1), spec.name))
    return problems


def _too_few(role: str, found: int, needed: int, type_name: str) -> str:
    return (
        f"the {role} file has {found} valid example{'s' if found != 1 else ''}; "
        f"{type_name} needs at least {needed}"
    )


def _more(count: int) -> list[str]:
    return (
        [f"... and {count} more problem{'s' if count != 1 else ''} of this kind"]
        if count > 0
        else []
    )


def _capped(messages: list[str]) -> list[str]:
    if len(messages) <= MAX_FINDINGS:
        return messages
    rest = len(messages) - MAX_FINDINGS
    return messages[:MAX_FINDINGS] + [f"... and {rest} more"]
