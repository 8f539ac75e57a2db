"""`sieve upload` and `sieve check`: a file sent to a running Sieve, or checked locally with the
server's own code (no server). Exit codes: 0 validated, 1 failed validation, 2 usage or
connection error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.client import CliError, SieveClient
from cli.instance import data_dir
from cli.options import EXISTING_FILE, SIZE, client_options, create_options, create_params
from cli.progress import ProgressLine, ValidationProgress
from cli.resumable import send_resumable
from cli.shown import show_dataset, show_tokens, show_verdict
from store.records import CreateOptions
from store.settings import Settings


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
    params = create_params(**options)
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
    resumable = eval_data is None and file.stat().st_size > resumable_above
    with ProgressLine("uploading", total) as bar:
        if resumable:
            state_dir = data_dir(Settings.from_env()) / "uploads"
            if part_size:
                params["part_size"] = part_size
            dataset_id = send_resumable(client, file, params, state_dir, bar.update, bar.note)
        else:
            dataset_id = client.create(files, params, on_sent=bar.update)
    if not wait:
        click.echo(json.dumps({"id": dataset_id}) if as_json else dataset_id)
        return
    show_dataset(client.wait(dataset_id, ValidationProgress()), as_json)


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

    params = create_params(**options)
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


COMMANDS = (upload, check)
