"""metrics.finetune_dataset_metrics of a finished dataset, shaped as the cohere SDK reads it."""

from __future__ import annotations

from validators.report import FileReport
from validators.spec import DatasetSpec

ROLES = ("train", "eval")


def dataset_metrics(spec: DatasetSpec, files: list[FileReport], parts: list[dict]) -> dict:
    by_role = {report.role: report for report in files}
    examples = {role: by_role[role].rows_valid if role in by_role else 0 for role in ROLES}
    sizes = {
        role: sum(p["size_bytes"] for p in parts if p["name"].startswith(f"{role}-"))
        for role in ROLES
    }
    metrics: dict = {
        "total_examples": sum(examples.values()),
        "train_examples": examples["train"],
        "eval_examples": examples["eval"],
        "train_size_bytes": sizes["train"],
        "eval_size_bytes": sizes["eval"],
    }
    if spec.labels is not None and "train" in by_role:
        labels = by_role["train"].tally.labels
        metrics["classify_data_metrics"] = {
            "label_metrics": [
                {"label": label, "total_examples": count} for label, count in sorted(labels.items())
            ]
        }
    if spec.metrics_group:
        metrics[spec.metrics_group] = {
            f"num_{role}_{total.name}": by_role[role].tally.totals.get(total.name, 0)
            for role in ROLES
            if role in by_role
            for total in spec.totals
        }
    return {"finetune_dataset_metrics": metrics}
