"""What the CLI prints of a dataset: its progress, its verdict, its token count."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cli.client import TERMINAL


def show_progress(dataset: dict[str, Any]) -> None:
    if not sys.stderr.isatty():
        return
    progress = dataset.get("progress") or {}
    line = f"validating: {dataset['validation_status']}"
    if progress.get("chunks_total"):
        line += f", {progress.get('chunks_done', 0)}/{progress['chunks_total']} chunks"
    if progress.get("rows_seen"):
        line += f", {progress['rows_seen']:,} rows seen"
    click.echo(f"\r{line:<70}", nl=False, err=True)
    if dataset["validation_status"] in TERMINAL:
        click.echo("", err=True)


def show_verdict(
    status: str, error: str | None, warnings: list[str], heading: str, failing: int = 0
) -> None:
    """Every message that fails the dataset as `error:` (the first `failing` warnings too),
    true warnings as `warning:`, and the closing count of what was not listed as it is."""
    click.echo(f"{heading}  {status}")
    if error:
        click.echo(f"error: {error}")
    for position, warning in enumerate(warnings):
        if warning.startswith("... and ") and position == len(warnings) - 1:
            click.echo(warning)
        else:
            click.echo(f"{'error' if position < failing else 'warning'}: {warning}")


def show_tokens(metrics: dict[str, Any] | None) -> None:
    """The token count the workers reached, and with which tokenizer."""
    found = (metrics or {}).get("finetune_dataset_metrics") or {}
    for key, what in (("trainable_token_count", "trainable"), ("input_token_count", "input")):
        if found.get(key) is not None:
            click.echo(f"tokens: {found[key]:,} {what} (tokenizer: {found.get('tokenizer')})")


def show_dataset(dataset: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(dataset))
    else:
        show_verdict(
            dataset["validation_status"],
            dataset.get("validation_error"),
            dataset.get("validation_warnings") or [],
            dataset["id"],
            (dataset.get("validation_report") or {}).get("failing_warnings", 0),
        )
        if dataset["validation_status"] == "validated":
            show_tokens(dataset.get("metrics"))
    if dataset["validation_status"] == "failed":
        raise SystemExit(1)
