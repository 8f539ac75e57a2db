"""The validation pipeline as plain functions over the stores; tasks.py wraps them for Celery.

start -> plan chunks, status "processing"; validate_chunk x N (any worker, any order, any
number of times) -> one report per chunk; the chunk that completes the set claims finalize
(SET NX), and finalize merges the reports into the verdict. Every step re-reads the record
and stops quietly if the dataset was deleted meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

from store import Stores
from store.blobs import BlobStore, write_blob
from store.datasets import parse_timestamp, utc_now
from store.records import DatasetOptions, DatasetRecord, Status
from store.removal import (
    dataset_prefix,
    findings_key,
    hashes_key,
    hashes_prefix,
    part_key,
)
from store.segments import read_spans
from store.settings import Settings
from store.telemetry import metric
from validators.engine import RuleOptions, evaluate_chunk, read_chunk
from validators.finish import finish
from validators.full_report import chunk_findings
from validators.parsing import ParseOptions, line_count
from validators.profile import chunk_profile, file_profile
from validators.registry import spec_for
from validators.report import ChunkReport, merge
from validators.schema import avro_schema_json, kept_fields
from validators.settle import row_hashes
from validators.spec import DatasetSpec
from validators.tokens.sources import TokenOptions
from validators.verdict import Verdict
from workers.chunk_rows import BlobChunks, write_hashes
from workers.full_report import report_index
from workers.metrics import dataset_metrics
from workers.parts import merged_schema, part_schema, write_part
from workers.planning import Chunk, PlanError, plan_file
from workers.webhooks import announce

log = logging.getLogger(__name__)
FILE_ROLES = ("train", "eval")
FINALIZE_CLAIM_SECONDS = 24 * 3600
DRY_RUN_KEEP_SECONDS = 3600


def start(stores: Stores, dataset_id: str) -> tuple[list[Chunk], bool]:
    """Plan the chunks not planned yet and mark the dataset processing. Returns the chunks to
    validate, and whether every chunk already has its report (chunks cut while the upload
    streamed in may all be done) — then this call has claimed finalize."""
    record = stores.datasets.get(dataset_id)
    if record is None or record.terminal or record.receiving:
        return [], False  # a streaming upload is started by its own end
    plan = record.plan or {"chunks": []}
    if record.chunks_total is not None:  # redelivered start: send what has no report yet
        reported = stores.datasets.chunk_reports(dataset_id)
        return [Chunk.from_dict(c) for c in plan["chunks"] if c["index"] not in reported], False
    try:
        chunks = plan_chunks(
            stores.blobs,
            record,
            stores.settings.chunk_bytes,
            first_index=len(plan["chunks"]),
            offsets=plan.get("rest"),
        )
    except PlanError as exc:
        _conclude(stores, record, Conclusion(Verdict("failed", str(exc)), [], {}, {}, {}))
        return [], False
    plan = {**plan, "chunks": [*plan["chunks"], *(c.to_dict() for c in chunks)], "rest": {}}
    total = len(plan["chunks"])
    stores.datasets.transition(dataset_id, Status.PROCESSING, plan=plan, chunks_total=total)
    done = stores.datasets.chunks_reported(dataset_id)
    return chunks, done == total and stores.datasets.claim_finalize(
        dataset_id, FINALIZE_CLAIM_SECONDS
    )


def plan_chunks(
    blobs: BlobStore,
    record: DatasetRecord,
    chunk_bytes: int,
    first_index: int = 0,
    offsets: dict[str, int] | None = None,
) -> list[Chunk]:
    """The chunks of every file of `record` (with `offsets`: of those files only, from those
    offsets — what streaming left)."""
    chunks: list[Chunk] = []
    for role in FILE_ROLES:
        file = record.files.get(role)
        if file is None or (offsets is not None and role not in offsets):
            continue
        start = offsets[role] if offsets is not None else 0
        index = first_index + len(chunks)
        chunks.extend(plan_file(blobs, role, file, chunk_bytes, index, start))
    return chunks


def register_attempt(stores: Stores, dataset_id: str, chunk: Chunk) -> bool:
    """Count one delivery of a chunk; False (and the dataset failed) once a chunk has come back
    more often than SIEVE_MAX_CHUNK_ATTEMPTS — a poison chunk that kills its process can't loop."""
    attempts = stores.datasets.count_chunk_attempt(dataset_id, chunk.index)
    if attempts < 0:  # deleted meanwhile
        return False
    if attempts <= stores.settings.max_chunk_attempts:
        return True
    fail(
        stores,
        dataset_id,
        f"the {chunk.role} file could not be validated: its bytes {chunk.start}-{chunk.end} "
        f"crashed the validator {attempts - 1} times; please check that part of the file",
    )
    return False


def validate_chunk(stores: Stores, dataset_id: str, chunk: Chunk) -> bool:
    """Validate one chunk and record its report. True when this call completed the set and
    claimed the right to trigger finalize."""
    record = stores.datasets.get(dataset_id)
    if record is None or record.terminal:
        return False
    report = chunk_report(stores.blobs, record, chunk, token_options(stores.settings))
    stored, count = stores.datasets.save_chunk_report(
        dataset_id, chunk.index, report, report["rows_seen"]
    )
    if not stored:  # deleted or ended while it ran, or another delivery reported first
        _delete_written(stores, report)
    if count < 0:
        return False
    # While an upload streams in, the total is not known yet: read it fresh. Its end sets the
    # total and then counts the reports, so one of the two sees the set complete.
    total = record.chunks_total or stores.datasets.get_chunks_total(dataset_id)
    return count == total and stores.datasets.claim_finalize(dataset_id, FINALIZE_CLAIM_SECONDS)


def _delete_written(stores: Stores, report: dict[str, Any]) -> None:
    """Remove all a chunk's delivery wrote (part, row hashes, findings): its blobs carry the
    delivery's own tag, so no other delivery's are touched."""
    _delete_parts(stores, _parts_of([report]))
    for written in ("hashes_key", "findings_key"):
        if report.get(written):
            stores.blobs.delete_prefix(report[written])


def token_options(settings: Settings) -> TokenOptions:
    return TokenOptions(settings.tokenizer, settings.max_turn_tokens, settings.max_preamble_tokens)


def chunk_report(
    blobs: BlobStore, record: DatasetRecord, chunk: Chunk, tokens: TokenOptions = TokenOptions()
) -> dict[str, Any]:
    """Validate one chunk of `record`'s files: its report, with the row-hash file (for
    file-wide duplicates) and the Avro part of its valid rows written. Knows only the blobs,
    so `sieve check` runs it too, with no Redis."""
    spec = spec_for(record.dataset_type)
    options = record.options
    file = record.files[chunk.role]
    fields = _kept_fields(spec, options)
    parse_options = ParseOptions(
        format=file.format,
        kept_fields=tuple(fields),
        field_kinds=spec.field_kinds,
        delimiter=options.delimiter,
        separator=file.separator,
        csv_header=read_spans(blobs, chunk.header),
        cut_short=chunk.cut_short,
    )
    attempt = secrets.token_hex(4)  # this delivery's blobs (see store.removal.part_key)
    data = read_spans(blobs, chunk.spans)
    parsed = read_chunk(spec, data, parse_options, at_file_start=chunk.start == 0)
    lines = {"lines_seen": line_count(data), "header_lines": line_count(parse_options.csv_header)}
    del data
    rule_options = RuleOptions(file.format, options.keep_fields, tokens)
    report, valid = evaluate_chunk(spec, parsed, rule_options)
    result: dict[str, Any] = {"role": chunk.role, "worker": worker_identity(), **report.to_dict()}
    result.update(lines)  # for the file's lines in the full report
    result["profile"] = chunk_profile(parsed.frame, fields)
    if report.finding_count:  # every one of them, for the full report
        result["findings_key"] = findings_key(record.id, chunk.role, f"{chunk.index:05d}", attempt)
        found = chunk_findings(spec, parsed, rule_options)
        write_blob(blobs, result["findings_key"], found.write_ndjson().encode())
    keep_rows = options.skip_malformed_input or report.finding_count == 0
    if valid.height:
        result["hashes_key"] = hashes_key(record.id, chunk.index, attempt)
        write_hashes(blobs, result["hashes_key"], row_hashes(spec, valid))
    if valid.height and keep_rows:
        name = f"{chunk.role}-{chunk.index:05d}"
        extras = set(fields) - set(spec.field_names)
        key = part_key(record.id, name, attempt)
        result["part"] = {
            "name": name,
            **write_part(blobs, key, valid, extras),
        }
    return result


def _kept_fields(spec: DatasetSpec, options: DatasetOptions) -> list[str]:
    return kept_fields(spec, list(options.keep_fields), list(options.optional_fields))


PART_ENTRIES = ("part", "eval_part")  # eval_part: the rows an automatic split set aside


def _parts_of(chunk_reports: list[dict]) -> list[dict]:
    """Every part of the chunks: the train parts first, then the eval parts, in file order."""
    parts = [r[entry] for r in chunk_reports for entry in PART_ENTRIES if r.get(entry)]
    return sorted(parts, key=lambda part: part["name"].startswith("eval"))


def _delete_parts(stores: Stores, parts: list[dict]) -> None:
    for part in parts:
        stores.blobs.delete_prefix(part["key"])


def worker_identity() -> str:
    """host/pid of the worker's main process (a pool child's parent), recorded per chunk."""
    return f"{socket.gethostname()}/{os.getppid()}"


def finalize(stores: Stores, dataset_id: str) -> None:
    """Merge the chunk reports into the verdict. Idempotent: a second run changes nothing."""
    record = stores.datasets.get(dataset_id)
    if record is None or record.terminal or record.receiving:
        return
    reports = stores.datasets.chunk_reports(dataset_id)
    chunks = [Chunk.from_dict(c) for c in record.plan["chunks"]]  # type: ignore[index]
    if len(reports) < len(chunks):
        log.warning("finalize of %s before all chunks reported", dataset_id)
        return
    _conclude(stores, record, compute_verdict(stores.blobs, record, chunks, reports))


@dataclass(frozen=True)
class Conclusion:
    verdict: Verdict
    parts: list[dict]  # the parts that hold its rows (duplicates removed)
    metrics: dict
    report: dict  # where the full report is (workers.full_report.report_index)
    profile: dict  # role -> validators.profile.file_profile


def compute_verdict(
    blobs: BlobStore, record: DatasetRecord, chunks: list[Chunk], reports: dict[int, dict]
) -> Conclusion:
    """Merge the chunk reports of `record` (by chunk index) into its verdict, parts, metrics
    and full report. Knows only the blobs (`sieve check` runs it too)."""
    spec = spec_for(record.dataset_type)
    files, taken_in = [], {}
    for role in FILE_ROLES:
        if role in record.files:
            role_chunks = [reports[c.index] for c in chunks if c.role == role]
            merged = merge(spec, role, [ChunkReport.from_dict(r) for r in role_chunks])
            taken_in[role] = role_chunks[: merged.chunks_read]
            files.append(merged)
    skip = record.options.skip_malformed_input
    outcome = finish(spec, files, BlobChunks(blobs, record.id, taken_in), skip)
    parts = _parts_of([reports[c.index] for c in chunks])
    index = report_index(blobs, record, chunks, reports, files)
    index["failing_warnings"] = outcome.verdict.failing_warnings
    profile = {
        report.role: file_profile(
            spec, report, [r.get("profile") or {} for r in taken_in[report.role]]
        )
        for report in files
    }
    metrics = dataset_metrics(spec, outcome, parts)
    return Conclusion(outcome.verdict, parts, metrics, index, profile)


def fail(stores: Stores, dataset_id: str, reason: str) -> None:
    """End a dataset as failed for a reason outside its data (e.g. repeated crashes). Kept
    minimal on purpose: it must work even when the code that crashed would crash again."""
    if stores.datasets.transition(dataset_id, Status.FAILED, validation_error=reason):
        _delete_parts(stores, _parts_of(list(stores.datasets.chunk_reports(dataset_id).values())))
        stores.blobs.delete_prefix(hashes_prefix(dataset_id))
        announce(stores, dataset_id)


def _count_verdict(record: DatasetRecord, conclusion: Conclusion) -> None:
    """The verdict in the metrics: its type and status, time from creation, rows, findings."""
    kind = record.dataset_type
    metric("validations").labels(kind, conclusion.verdict.status).inc()
    waited = (utc_now() - parse_timestamp(record.created_at)).total_seconds()
    metric("validation_seconds").labels(kind).observe(max(0.0, waited))
    rows = sum(file.get("rows", 0) for file in conclusion.profile.values())
    metric("rows").labels(kind).inc(rows)
    for counts in conclusion.report.get("rule_counts", {}).values():
        for rule, count in counts.items():
            metric("findings").labels(kind, rule).inc(count)


def _dataset_schema(stores: Stores, spec: DatasetSpec, fields: list[str], parts: list[dict]) -> str:
    """The schema of the parts as written (merged if chunks typed an extra field differently);
    the declared one when there are no parts."""
    written = merged_schema([part_schema(stores.blobs, part["key"]) for part in parts])
    return json.dumps(written, separators=(",", ":")) if written else avro_schema_json(spec, fields)


def _conclude(stores: Stores, record: DatasetRecord, conclusion: Conclusion) -> None:
    dataset_id = record.id
    verdict, parts = conclusion.verdict, conclusion.parts
    spec = spec_for(record.dataset_type)
    dry_run = record.dry_run
    status = Status(verdict.status)
    if status != Status.VALIDATED or dry_run:
        _delete_parts(stores, parts)
        parts = []
    fields = _kept_fields(spec, record.options)
    moved = stores.datasets.transition(
        dataset_id,
        status,
        validation_error=verdict.error or "",
        validation_warnings=verdict.warnings,
        parts=parts,
        metrics=conclusion.metrics,
        schema=_dataset_schema(stores, spec, fields, parts),
        report=conclusion.report,
        profile=conclusion.profile,
    )
    if moved:  # only now: a finalize retried after a failed transition still needs them
        stores.blobs.delete_prefix(hashes_prefix(dataset_id))
        _count_verdict(record, conclusion)
        announce(stores, dataset_id)
    elif not stores.datasets.exists(dataset_id):
        _delete_parts(stores, parts)  # deleted while finalizing
    if dry_run:  # the verdict stays readable for a while; nothing else is kept
        stores.datasets.expire(dataset_id, DRY_RUN_KEEP_SECONDS)
        stores.blobs.delete_prefix(dataset_prefix(dataset_id))
        stores.datasets.release_usage(dataset_id, record.org)  # counted while it was stored
