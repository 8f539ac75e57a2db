"""Commands for people who use datasets: `sieve datasets ...`, `sieve types`, `sieve completion`
(`sieve upload` and `sieve check` are in cli/upload.py).

They talk to a running Sieve over HTTP (`--url` / SIEVE_URL, `--api-key` / SIEVE_API_KEY),
defaulting to the local instance `sieve up` runs.
Exit codes: 0 validated (or done), 1 failed validation, 2 usage or connection error.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from cli.client import CliError, SieveClient, download_blocks
from cli.options import client_options
from cli.progress import ValidationProgress
from cli.shown import LIST_HEADER, list_line, show_dataset, show_listing, split_of
from validators.registry import supported_types

SPLITS = ("train", "eval")


@click.group()
def datasets() -> None:
    """List, inspect, download and delete datasets."""


@datasets.command("list")
@click.option("--type", "dataset_type", help="Only this dataset type.")
@click.option("--status", type=click.Choice(["queued", "processing", "validated", "failed"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@client_options
def datasets_list(
    client: SieveClient, dataset_type: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """Datasets of your organization, newest first."""
    found = client.list(datasetType=dataset_type, validationStatus=status, limit=limit)
    empty = "no datasets: upload one with `sieve upload FILE --type TYPE`"
    show_listing(found, as_json, empty, LIST_HEADER, list_line)


@datasets.command("get")
@click.argument("dataset_id")
@click.option("--wait", is_flag=True, help="Wait for the verdict.")
@click.option("--json", "as_json", is_flag=True, help="The dataset as JSON.")
@client_options
def datasets_get(client: SieveClient, dataset_id: str, wait: bool, as_json: bool) -> None:
    """One dataset: status, errors, warnings (exit 1 if it failed validation)."""
    dataset = client.wait(dataset_id, ValidationProgress()) if wait else client.get(dataset_id)
    show_dataset(dataset, as_json)


@datasets.command("delete")
@click.argument("dataset_id")
@client_options
def datasets_delete(client: SieveClient, dataset_id: str) -> None:
    """Delete a dataset and its files."""
    client.delete(dataset_id)
    click.echo(f"deleted {dataset_id}", err=True)


@datasets.command("download")
@click.argument("dataset_id")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "avro"]), default="jsonl")
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    help="Only this file's rows. Without it, a dataset with eval rows is written as one file "
    "per split (NAME-train.jsonl, NAME-eval.jsonl).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@client_options
def datasets_download(
    client: SieveClient, dataset_id: str, fmt: str, split: str | None, output: Path | None
) -> None:
    """The validated rows (as the cohere SDK's save_dataset writes them), streamed."""
    dataset = client.get(dataset_id)
    status = dataset["validation_status"]
    if status == "failed":
        raise CliError(
            f"{dataset_id} failed validation, so it has no rows to download; "
            f"`sieve datasets report {dataset_id}` lists what to fix",
            exit_code=1,
        )
    if status != "validated":
        raise CliError(
            f"{dataset_id} is still being validated ({status}); "
            f"`sieve datasets get {dataset_id} --wait` waits for its verdict"
        )
    splits = [split] if split else splits_of(dataset)
    if output is not None and str(output) == "-":
        if len(splits) > 1:
            raise CliError(f"{dataset_id} has train and eval rows: pick one with --split")
        write_rows(dataset, fmt, sys.stdout.buffer, splits[0])
        return
    for one in splits:
        target = _download_target(dataset_id, fmt, output, one if split or len(splits) > 1 else "")
        with open(target, "wb") as out:
            count = write_rows(dataset, fmt, out, one)
        click.echo(f"{count:,} {one} rows written to {target}", err=True)


def splits_of(dataset: dict[str, Any]) -> list[str]:
    """The files a dataset's parts hold rows of, train first (train alone when it has none)."""
    roles = {split_of(part) for part in dataset.get("dataset_parts") or []}
    return [role for role in SPLITS if role in roles] or ["train"]


def _download_target(dataset_id: str, fmt: str, output: Path | None, split: str) -> Path:
    """`-o` or DATASET_ID.FORMAT, with `-SPLIT` before the suffix when one split is asked."""
    target = output or Path(f"{dataset_id}.{fmt}")
    return target.with_name(f"{target.stem}-{split}{target.suffix}") if split else target


@datasets.command("report")
@click.argument("dataset_id")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--code", help="Only this rule's findings (e.g. text|not_empty).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@client_options
def datasets_report(
    client: SieveClient, dataset_id: str, fmt: str, code: str | None, output: Path | None
) -> None:
    """Every finding of a dataset (the full report: code, severity, file, row, field, excerpt,
    message), streamed to stdout, or to the file -o names."""
    blocks = client.report_blocks(dataset_id, {"format": fmt, "code": code})
    if output is None or str(output) == "-":
        for block in blocks:
            sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
        return
    target = output
    with open(target, "wb") as out:
        for block in blocks:
            out.write(block)
    click.echo(f"The report is in {target}.", err=True)


class _BlockReader(io.RawIOBase):
    """A file-like view of streamed blocks, for fastavro's reader."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._blocks, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def dataset_rows(dataset: dict[str, Any], split: str) -> Iterator[dict[str, Any]]:
    from fastavro import reader

    for part in dataset.get("dataset_parts") or []:
        if split_of(part) == split:
            yield from reader(io.BufferedReader(_BlockReader(download_blocks(part["url"]))))


def write_rows(dataset: dict[str, Any], fmt: str, out: Any, split: str) -> int:
    """Write the rows of one split of the dataset to the binary stream `out`; how many."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in dataset_rows(dataset, split):
            count += 1
            yield row

    if fmt == "avro":
        from fastavro import parse_schema, writer

        writer(out, parse_schema(json.loads(dataset["schema"])), counted())
        return count
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    table = None
    for row in counted():
        if fmt == "jsonl":
            text.write(json.dumps(row) + "\n")
            continue
        if table is None:
            table = csv.DictWriter(text, fieldnames=list(row))
            table.writeheader()
        table.writerow(
            {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
        )
    text.flush()
    text.detach()
    return count


@click.command("types")
@click.argument("dataset_type", required=False, type=click.Choice(supported_types()))
@click.option("--json", "as_json", is_flag=True, help="Print the rule catalog as JSON.")
def types(dataset_type: str | None, as_json: bool) -> None:
    """The dataset types and their rules: the catalog `check` and the server both run."""
    from validators.catalog import catalog

    entries = [e for e in catalog() if dataset_type in (None, e.name)]
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2))
        return
    for entry in entries:
        if dataset_type is None:
            click.echo(f"{entry.name:45} {', '.join(entry.formats):16} {entry.description}")
            continue
        click.echo(f"{entry.name}: {entry.description}\nformats: {', '.join(entry.formats)}")
        click.echo(f"example row: {json.dumps(entry.example)}")
        for rule in entry.rules:
            click.echo(f"  {rule.code:44} {rule.checks}")


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]), default="bash")
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script: eval "$(sieve completion bash)"."""
    from click.shell_completion import get_completion_class

    root = ctx.find_root().command
    script = get_completion_class(shell)(root, {}, "sieve", "_SIEVE_COMPLETE").source()
    click.echo(script)


COMMANDS = (datasets, types, completion)
