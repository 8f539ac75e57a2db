"""`sieve check`: validate files locally with the server's own code — no server, no Redis.

The very functions the workers run (plan the chunks, validate each chunk, merge the reports
into the verdict) run here over the local files, the chunks spread over every core, so the
verdict, the error and the warnings are the server's, word for word.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from store.local_blobs import LocalBlobStore
from store.records import CreateOptions, DatasetRecord, StoredFile
from store.segments import Segment
from store.settings import Settings
from validators.formats import accepted_layout, default_delimiter
from validators.full_report import report_text
from validators.registry import spec_for
from validators.verdict import Verdict
from workers.full_report import read_report
from workers.pipeline import (
    FILE_ROLES,
    chunk_report,
    compute_verdict,
    plan_chunks,
    token_options,
)
from workers.planning import Chunk

HEAD_BYTES = 64 * 1024


class LocalFiles(LocalBlobStore):
    """The files being checked, readable under their role ("train", "eval") as key; what the
    pipeline writes (row hashes, parts) goes to a scratch directory."""

    def __init__(self, scratch: Path, files: dict[str, Path]) -> None:
        super().__init__(scratch)
        self._files = files

    def _path(self, key: str) -> Path:
        return self._files[key] if key in self._files else super()._path(key)


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    metrics: dict[str, Any]
    rows_seen: int
    chunks: int


def _file_entry(
    spec_name: str, formats: Any, role: str, path: Path, separator: str | None
) -> StoredFile:
    part = "eval_data" if role == "eval" else "data"
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    size = path.stat().st_size
    file = (path.name, head, size)
    file_format, separator = accepted_layout(spec_name, formats, part, file, separator)
    return StoredFile((Segment(role, size),), size, file_format, path.name, separator)


def _validate_chunk(
    scratch: str, paths: dict[str, str], record: DatasetRecord, chunk: Chunk
) -> dict:
    files = {role: Path(path) for role, path in paths.items()}
    tokens = token_options(Settings.from_env())  # SIEVE_TOKENIZER, as the workers read it
    return chunk_report(LocalFiles(Path(scratch), files), record, chunk, tokens)


def check_files(
    create: CreateOptions,
    data: Path,
    eval_data: Path | None,
    chunk_bytes: int,
    processes: int | None = None,
    report: Path | None = None,
) -> CheckResult:
    """The verdict the server would reach on these files with these create options, and with
    `report`, its full report written there. FileRefused or PlanError where the server
    refuses them."""
    spec = spec_for(create.dataset_type)
    dataset = create.dataset.with_default_delimiter(default_delimiter(data.name))
    given = zip(FILE_ROLES, (data, eval_data), strict=True)
    paths = {role: path for role, path in given if path is not None}
    files = {
        role: _file_entry(spec.name, spec.formats, role, path, dataset.text_separator)
        for role, path in paths.items()
    }
    record = DatasetRecord.new("check", "", replace(create, dataset=dataset), files, "")
    with tempfile.TemporaryDirectory(prefix="sieve-check-") as scratch:
        blobs = LocalFiles(Path(scratch), paths)
        chunks = plan_chunks(blobs, record, chunk_bytes)
        reports = dict(
            zip(
                [c.index for c in chunks],
                _run(scratch, paths, record, chunks, processes),
                strict=True,
            )
        )
        conclusion = compute_verdict(blobs, record, chunks, reports)
        if report is not None:
            record.report = conclusion.report
            form = "csv" if report.suffix.lower() == ".csv" else "jsonl"
            with report.open("w", encoding="utf-8") as out:
                out.writelines(report_text(read_report(blobs, record), form))
    rows = sum(report["rows_seen"] for report in reports.values())
    return CheckResult(conclusion.verdict, conclusion.metrics, rows, len(chunks))


def _run(
    scratch: str,
    paths: dict[str, Path],
    record: DatasetRecord,
    chunks: list[Chunk],
    processes: int | None,
) -> list[dict]:
    """Chunk reports in chunk order: in this process for one chunk, else over a process pool
    (one polars thread each, like the workers)."""
    text_paths = {role: str(path) for role, path in paths.items()}
    count = min(len(chunks), processes or os.cpu_count() or 1)
    if count <= 1:
        return [_validate_chunk(scratch, text_paths, record, chunk) for chunk in chunks]
    previous = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"  # read by the spawned processes as polars loads
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(count, mp_context=context) as pool:
            n = len(chunks)
            return list(
                pool.map(_validate_chunk, [scratch] * n, [text_paths] * n, [record] * n, chunks)
            )
    finally:
        if previous is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = previous
