"""metrics.finetune_dataset_metrics of a finished dataset, shaped as the cohere SDK reads it."""

from __future__ import annotations

from validators.finish import Outcome
from validators.spec import DatasetSpec

ROLES = ("train", "eval")


def dataset_metrics(spec: DatasetSpec, outcome: Outcome, parts: list[dict]) -> dict:
    """Examples and sizes per side (after duplicates, removed labels and any automatic split),
    label balance with sample texts, and the type's totals."""
    examples = {role: outcome.examples.get(role, 0) for role in ROLES}
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
    train = outcome.tallies.get("train")
    if train is not None:
        for rule in spec.file_rules:
            metrics.update(rule.metrics(train.states.get(rule.code)))
    if spec.metrics_group:
        metrics[spec.metrics_group] = {
            f"num_{role}_{total.name}": outcome.tallies[role].totals.get(total.name, 0)
            for role in ROLES
            if role in outcome.tallies
            for total in spec.totals
        }
    return {"finetune_dataset_metrics": metrics}
