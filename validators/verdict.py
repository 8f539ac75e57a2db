"""Whole-dataset judgement over merged file reports: validated or failed, and why.

The first problem becomes `validation_error`, the rest `validation_warnings`, capped at
MAX_FINDINGS with a closing "... and N more". With skip_malformed_input, bad rows are dropped and
only reported as warnings; file-level problems and dataset rules (minimum examples, labels)
still fail. Dataset rules are judged only when no row already failed the dataset (their message
would only restate the row errors). Exact duplicates are dropped with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validators.report import FATAL_RULES, MAX_FINDINGS, FileReport
from validators.settle import distinct_problems
from validators.spec import DatasetSpec

LEAKS_SHOWN = 10


@dataclass
class Verdict:
    status: str  # "validated" | "failed"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


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
    if not errors:
        errors = _count_problems(spec, files) + _label_problems(spec, files)
        errors += [p for r in files for p in distinct_problems(spec, r.role, r.distinct)]
    notes.extend(_duplicate_notes(files))
    notes.extend(_pruned_label_notes(spec, files))
    notes.extend(_leak_notes(files))
    if errors:
        return Verdict("failed", errors[0], _capped(errors[1:] + notes, unlisted))
    return Verdict("validated", None, _capped(notes, unlisted))


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


def _label_problems(spec: DatasetSpec, files: list[FileReport]) -> list[str]:
    """What is left after the rare labels were removed (see finish._rare_labels)."""
    rules = spec.labels
    train = next((report for report in files if report.role == "train"), None)
    if rules is None or train is None or train.rows_valid == 0:
        return []
    labels = train.tally.labels
    problems = []
    if len(labels) < rules.min_labels:
        found = ", ".join(repr(label) for label in sorted(labels)) or "none"
        kept = f" with at least {rules.min_per_label} examples" if train.pruned_labels else ""
        problems.append(
            f"the train file has {len(labels)} distinct label{'s' if len(labels) != 1 else ''}"
            f"{kept} ({found}); {spec.name} needs at least {rules.min_labels}"
        )
    else:
        problems.extend(
            f"label {label!r} is in every example of the train file; "
            "a label can't be in all of them"
            for label, count in sorted(labels.items())
            if count >= train.rows_valid
        )
    return problems


def _pruned_label_notes(spec: DatasetSpec, files: list[FileReport]) -> list[str]:
    rules = spec.labels
    train = next((report for report in files if report.role == "train"), None)
    if rules is None or train is None:
        return []
    what = "its examples were dropped" if rules.one_per_row else "it was taken off its examples"
    return [
        f"label {label!r} has {count} example{'s' if count != 1 else ''} in the train file, "
        f"fewer than {rules.min_per_label}: it was removed ({what}), as Cohere does"
        for label, count in sorted(train.pruned_labels.items())
    ]


def _leak_notes(files: list[FileReport]) -> list[str]:
    leaked = [row for report in files for row in report.leaked_rows]
    if not leaked:
        return []
    shown = ", ".join(map(str, leaked[:LEAKS_SHOWN])) + (
        ", ..." if len(leaked) > LEAKS_SHOWN else ""
    )
    plural = "s" if len(leaked) != 1 else ""
    return [
        f"{len(leaked)} row{plural} of the eval file also appear{'' if plural else 's'} in the "
        f"train file (eval row{plural} {shown}): evaluating on training data overstates quality"
    ]


def _duplicate_notes(files: list[FileReport]) -> list[str]:
    return [
        f"{report.duplicates} exact duplicate row{'s were' if report.duplicates != 1 else ' was'} "
        f"dropped from the {report.role} file (the first at row {report.first_duplicate_row})"
        for report in files
        if report.duplicates
    ]


def _too_few(role: str, found: int, needed: int, type_name: str) -> str:
    plural = "s" if found != 1 else ""
    return f"the {role} file has {found} valid example{plural}; {type_name} needs at least {needed}"


def _capped(messages: list[str], unlisted: int) -> list[str]:
    """At most MAX_FINDINGS messages, then one line counting everything not shown."""
    hidden = unlisted + max(0, len(messages) - MAX_FINDINGS)
    shown = messages[:MAX_FINDINGS]
    return [*shown, f"... and {hidden} more"] if hidden else shown
