"""What the CLI prints of a dataset: its verdict, its rows and sizes, its findings by rule, its
token count; and the columns of `sieve datasets list`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from store.settings import format_size


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
        show_details(dataset)
        if dataset["validation_status"] == "validated":
            show_tokens(dataset.get("metrics"))
    if dataset["validation_status"] == "failed":
        raise SystemExit(1)


def split_of(part: dict[str, Any]) -> str:
    """The file (train, eval) whose rows a dataset part holds: its name says (`eval-00003`)."""
    return part["name"].split("-", 1)[0]


def kept(parts: list[dict[str, Any]]) -> tuple[int, int]:
    """The rows a dataset's parts hold, and their bytes."""
    return sum(part["num_rows"] for part in parts), sum(part["size_bytes"] for part in parts)


def show_details(dataset: dict[str, Any]) -> None:
    """Its type and age, its rows per file and stored size, its findings by rule."""
    created = dataset["created_at"].replace("T", " ")[:19]
    click.echo(f"type: {dataset['dataset_type']}, created {created} UTC")
    parts = dataset.get("dataset_parts") or []
    if parts:
        by_file: dict[str, int] = {}
        for part in parts:
            role = split_of(part)
            by_file[role] = by_file.get(role, 0) + part["num_rows"]
        files = ", ".join(f"{role} {count:,}" for role, count in by_file.items())
        rows, size = kept(parts)
        stored = f"{len(parts)} part" + ("s" if len(parts) > 1 else "")
        click.echo(f"rows: {rows:,} kept ({files}), {format_size(size)} in {stored}")
    for role, profile in (dataset.get("profile") or {}).items():
        if not parts:
            click.echo(f"rows: {profile['rows']:,} read in the {role} file, "
                       f"{profile['valid_rows']:,} valid")  # fmt: skip
    report = dataset.get("validation_report") or {}
    if report.get("findings"):
        click.echo(f"findings: {report['findings']:,} (`sieve datasets report {dataset['id']}`)")
        for rule in report.get("by_rule", []):
            click.echo(f"  {rule['count']:>9,}  {rule['file']:5}  {rule['code']}")


def show_listing(
    items: list[dict[str, Any]],
    as_json: bool,
    empty: str,
    header: str,
    line: Callable[[dict[str, Any]], str],
) -> None:
    """A listing command's output: one JSON array, or a header and a line per item (or what
    to do when there is none)."""
    if as_json:
        click.echo(json.dumps(items))
    elif not items:
        click.echo(empty)
    else:
        click.echo(header)
        for item in items:
            click.echo(line(item))


LIST_HEADER = f"{'ID':<50} {'STATUS':<10} {'TYPE':<26} {'ROWS':>11} {'SIZE':>10}  CREATED"


def list_line(dataset: dict[str, Any]) -> str:
    """One dataset as a row of `sieve datasets list` (rows kept, or read when it failed)."""
    parts = dataset.get("dataset_parts") or []
    if parts:
        kept_rows, kept_bytes = kept(parts)
        rows, size = f"{kept_rows:,}", format_size(kept_bytes)
    else:
        read = [file["rows"] for file in (dataset.get("profile") or {}).values()]
        rows, size = (f"{sum(read):,}" if read else "-"), "-"
    created = dataset["created_at"].replace("T", " ")[:16]
    return (
        f"{dataset['id']:<50} {dataset['validation_status']:<10} {dataset['dataset_type']:<26} "
        f"{rows:>11} {size:>10}  {created}"
    )
