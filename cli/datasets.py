"""Commands for people who use datasets: `sieve upload`, `sieve check`, `sieve datasets ...`.

They talk to a running Sieve over HTTP (`--url` / SIEVE_URL, `--api-key` / SIEVE_API_KEY),
defaulting to the local instance `sieve up` runs; `check` needs no server at all.
Exit codes: 0 validated (or done), 1 failed validation, 2 usage or connection error.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from cli.client import TERMINAL, CliError, SieveClient, download_blocks
from cli.instance import data_dir, instance_url, saved_api_key
from cli.resumable import send_resumable
from store.records import CreateOptions
from store.settings import Settings, parse_size
from validators.registry import supported_types

DEFAULT_URL = "http://127.0.0.1:8000"
EXISTING_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


class _Size(click.ParamType):
    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a size (bytes, or 64MiB, 1.5GB, ...)", param, ctx)


SIZE = _Size()


def _default_url() -> str:
    return instance_url(data_dir(Settings.from_env())) or DEFAULT_URL


def _default_key() -> str | None:
    return saved_api_key(data_dir(Settings.from_env()))


def client_options(command: Callable) -> Callable:
    """--url and --api-key, defaulting to the environment, then to the local instance."""

    @click.option("--url", envvar="SIEVE_URL", help="Sieve's URL [SIEVE_URL; local instance]")
    @click.option("--api-key", envvar="SIEVE_API_KEY", help="[SIEVE_API_KEY; local instance's]")
    @functools.wraps(command)
    def wrapper(url: str | None, api_key: str | None, **kwargs: Any) -> Any:
        client = SieveClient(url or _default_url(), api_key or _default_key())
        return command(client, **kwargs)

    return wrapper


def create_options(command: Callable) -> Callable:
    """The create options shared by `upload` and `check`."""
    options = [
        click.option("--type", "dataset_type", required=True, type=click.Choice(supported_types())),
        click.option("--eval-data", type=EXISTING_FILE, help="A separate evaluation file."),
        click.option("--keep-field", multiple=True, help="Keep this field (every row has it)."),
        click.option("--optional-field", multiple=True, help="Keep this field where present."),
        click.option("--skip-malformed", is_flag=True, help="Drop bad rows instead of failing."),
        click.option("--delimiter", help="CSV delimiter (one character; default ,)."),
        click.option("--text-separator", help="Splits .txt files into rows (default: newline)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _create_params(
    dataset_type: str,
    keep_field: tuple[str, ...],
    optional_field: tuple[str, ...],
    skip_malformed: bool,
    delimiter: str | None,
    text_separator: str | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {"type": dataset_type}
    for name, value in (
        ("keep_fields", list(keep_field)),
        ("optional_fields", list(optional_field)),
        ("skip_malformed_input", "true" if skip_malformed else None),
        ("csv_delimiter", delimiter),
        ("text_separator", text_separator),
    ):
        if value:
            params[name] = value
    return params


def _show_progress(dataset: dict[str, Any]) -> None:
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


def _finish(dataset: dict[str, Any], as_json: bool) -> None:
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


@click.command()
@click.argument("file", type=EXISTING_FILE)
@create_options
@click.option("--name", help="The dataset's name (default: the file's name).")
@click.option("--keep-original-file", is_flag=True, help="Keep the file as uploaded, too.")
@click.option("--dry-run", is_flag=True, help="Validate only: nothing is kept or counted.")
@click.option("--wait", is_flag=True, help="Wait for the verdict and print it.")
@click.option("--json", "as_json", is_flag=True, help="Print the dataset as JSON.")
@click.option(
    "--resumable-above",
    type=SIZE,
    default="64MiB",
    show_default=True,
    help="Send a bigger FILE in parts, resumable: run again after an interruption.",
)
@click.option("--part-size", type=SIZE, help="Each part's size (default: the server's, 16MiB).")
@client_options
def upload(  # noqa: PLR0913 - the command's options
    client: SieveClient,
    file: Path,
    eval_data: Path | None,
    name: str | None,
    keep_original_file: bool,
    dry_run: bool,
    wait: bool,
    as_json: bool,
    resumable_above: int,
    part_size: int | None,
    **options: Any,
) -> None:
    """Upload FILE as a dataset, with a progress bar; --wait for the verdict. A FILE over
    --resumable-above is sent in parts: if the upload is interrupted, the same command
    sends only the parts the server lacks (with --eval-data, it is one request)."""
    params = _create_params(**options)
    params["name"] = name or file.stem[:50] or "dataset"
    params.update(
        {
            k: "true"
            for k, on in (("keep_original_file", keep_original_file), ("dry_run", dry_run))
            if on
        }
    )
    files = [("data", file)] + ([("eval_data", eval_data)] if eval_data else [])
    total = sum(path.stat().st_size for _, path in files)
    shown = sys.stderr.isatty()
    resumable = eval_data is None and file.stat().st_size > resumable_above
    with click.progressbar(
        length=total, label="uploading", file=sys.stderr, hidden=not shown
    ) as bar:
        if resumable:
            state_dir = data_dir(Settings.from_env()) / "uploads"
            if part_size:
                params["part_size"] = part_size
            dataset_id = send_resumable(client, file, params, state_dir, bar.update)
        else:
            dataset_id = client.create(files, params, on_sent=bar.update)
    if not wait:
        click.echo(json.dumps({"id": dataset_id}) if as_json else dataset_id)
        return
    _finish(client.wait(dataset_id, _show_progress), as_json)


@click.command()
@click.argument("file", type=EXISTING_FILE)
@create_options
@click.option("--processes", type=click.IntRange(1), help="Processes to use (default: cores).")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write every finding there, as the server's report (.csv: CSV, else JSONL).",
)
def check(  # noqa: PLR0913 - the command's options
    file: Path,
    eval_data: Path | None,
    processes: int | None,
    as_json: bool,
    report: Path | None,
    **options: Any,
) -> None:
    """Validate FILE locally with the server's exact rules and messages (no server needed)."""
    from marshmallow import ValidationError

    from api.schemas import CreateOptionsSchema, first_error
    from cli.check import check_files
    from validators.formats import FileRefused
    from workers.planning import PlanError

    params = _create_params(**options)
    try:
        loaded = CreateOptionsSchema().load({"name": "check", **params})
    except ValidationError as exc:
        raise CliError(first_error(exc)) from exc
    chunk_bytes = Settings.from_env().chunk_bytes
    try:
        create = CreateOptions.from_dict(loaded)
        result = check_files(create, file, eval_data, chunk_bytes, processes, report)
    except (FileRefused, PlanError) as exc:
        raise CliError(str(exc), exit_code=1) from exc
    verdict = result.verdict
    if as_json:
        click.echo(
            json.dumps(
                {
                    "validation_status": verdict.status,
                    "validation_error": verdict.error,
                    "validation_warnings": verdict.warnings,
                    "rows_seen": result.rows_seen,
                    "metrics": result.metrics,
                }
            )
        )
    else:
        show_verdict(
            verdict.status, verdict.error, verdict.warnings, str(file), verdict.failing_warnings
        )
        if verdict.status == "validated":
            show_tokens(result.metrics)
    if verdict.status == "failed":
        raise SystemExit(1)


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
    if as_json:
        click.echo(json.dumps(found))
        return
    for item in found:
        click.echo(
            f"{item['id']:<50} {item['validation_status']:<11} {item['dataset_type']:<44} "
            f"{item['created_at']}"
        )


@datasets.command("get")
@click.argument("dataset_id")
@click.option("--wait", is_flag=True, help="Wait for the verdict.")
@click.option("--json", "as_json", is_flag=True, help="The dataset as JSON.")
@client_options
def datasets_get(client: SieveClient, dataset_id: str, wait: bool, as_json: bool) -> None:
    """One dataset: status, errors, warnings (exit 1 if it failed validation)."""
    dataset = client.wait(dataset_id, _show_progress) if wait else client.get(dataset_id)
    _finish(dataset, as_json)


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
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@client_options
def datasets_download(client: SieveClient, dataset_id: str, fmt: str, output: Path | None) -> None:
    """The validated rows (as the cohere SDK's save_dataset writes them), streamed."""
    dataset = client.get(dataset_id)
    if dataset["validation_status"] != "validated":
        raise CliError(f"{dataset_id} is {dataset['validation_status']}: nothing to download")
    target = output or Path(f"{dataset_id}.{fmt}")
    if str(target) == "-":
        write_rows(dataset, fmt, sys.stdout.buffer)
        return
    with open(target, "wb") as out:
        count = write_rows(dataset, fmt, out)
    click.echo(f"{count} rows written to {target}", err=True)


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
    message), streamed."""
    target = output or Path(f"{dataset_id}-report.{fmt}")
    blocks = client.report_blocks(dataset_id, {"format": fmt, "code": code})
    if str(target) == "-":
        for block in blocks:
            sys.stdout.buffer.write(block)
        return
    with open(target, "wb") as out:
        for block in blocks:
            out.write(block)
    click.echo(f"report written to {target}", err=True)


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


def dataset_rows(dataset: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from fastavro import reader

    for part in dataset.get("dataset_parts") or []:
        yield from reader(io.BufferedReader(_BlockReader(download_blocks(part["url"]))))


def write_rows(dataset: dict[str, Any], fmt: str, out: Any) -> int:
    """Write the dataset's rows to the binary stream `out`; how many."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in dataset_rows(dataset):
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


COMMANDS = (upload, check, datasets, types, completion)
