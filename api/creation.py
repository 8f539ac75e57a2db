"""POST /v1/datasets: stream the files in, check the options, record the dataset, enqueue it.

Order matters for "never half-written": files are stored and quota reserved first; the record
(which takes over the reservation) is written only once everything checked out, and the job is
enqueued last. Any failure before the record exists discards the files and the reservation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
from dataclasses import replace
from typing import Any, BinaryIO

from flask import Request, g
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from api.context import SieveContext
from api.errors import ApiError, bad_request, unavailable
from api.request_log import current_request_id
from api.schemas import (
    LIST_OPTIONS,
    CreateHeadersSchema,
    CreateOptionsSchema,
    first_error,
    load_or_400,
    unknown_type_message,
)
from api.streaming import ChunkStreamer, stored_file
from api.upload_timeouts import guarded_request_body
from api.uploads import ReceivedUpload, UploadSession, drain
from store.blobs import StorageFullError, StorageUnavailableError
from store.datasets import IdempotentRequest, format_timestamp, utc_now
from store.records import CreateOptions, DatasetRecord, Status
from store.removal import remove_dataset
from validators.formats import default_delimiter
from validators.registry import spec_for

log = logging.getLogger(__name__)
IDEMPOTENCY_SECONDS = 24 * 3600


def new_dataset_id(name: str) -> str:
    """`<slug-of-name>-<26 chars of base32 randomness>` (130 bits: unguessable, URL-safe)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "dataset"
    token = base64.b32encode(secrets.token_bytes(17)).decode("ascii").lower().rstrip("=")[:26]
    return f"{slug}-{token}"


def _option_values(source: MultiDict | dict[str, list[str]]) -> dict[str, Any]:
    """Flatten query/form values: list options keep every value, others take the last one."""
    getlist = source.getlist if isinstance(source, MultiDict) else lambda k: source.get(k, [])
    return {
        key: getlist(key) if key in LIST_OPTIONS else getlist(key)[-1]
        for key in source
        if getlist(key)
    }


def _parse_options(query: dict[str, Any], form: dict[str, Any]) -> CreateOptions:
    return CreateOptions.from_dict(load_or_400(CreateOptionsSchema(), {**form, **query}))


def _idempotency_key(request: Request, body: BinaryIO, max_bytes: int) -> str:
    try:
        headers = CreateHeadersSchema().load(dict(request.headers))
    except ValidationError as exc:
        drain(body, max_bytes)
        raise bad_request(first_error(exc)) from exc
    return headers["idempotency_key"].strip()


def create_dataset(ctx: SieveContext, org: str, request: Request) -> str:
    with guarded_request_body(request, ctx.settings) as body:
        return _create(ctx, org, request, body)


def _create(ctx: SieveContext, org: str, request: Request, body: BinaryIO) -> str:
    wait = ctx.stores.create_rate.retry_after(g.key_hash)
    if wait:
        drain(body, ctx.settings.max_dataset_bytes)
        raise ApiError(
            429,
            f"too many datasets created with this API key; retry in {wait} s",
            {"Retry-After": str(wait)},
        )
    query = _option_values(request.args)
    if "type" in query and spec_for(query["type"]) is None:  # fail before storing anything
        drain(body, ctx.settings.max_dataset_bytes)
        raise bad_request(unknown_type_message(query["type"]))
    idempotency_key = _idempotency_key(request, body, ctx.settings.max_dataset_bytes)
    dataset_id = new_dataset_id(str(query.get("name") or "dataset"))
    if not idempotency_key:
        return _receive_and_record(ctx, org, request, body, query, dataset_id)
    datasets = ctx.stores.datasets
    mine = IdempotentRequest(dataset_id, _fingerprint(request))
    bound = datasets.remember_idempotent_id(org, idempotency_key, mine, IDEMPOTENCY_SECONDS)
    if bound != mine:
        drain(body, ctx.settings.max_dataset_bytes)
        return _replay(bound, mine)
    try:
        created = _receive_and_record(ctx, org, request, body, query, dataset_id)
    except BaseException:
        datasets.forget_idempotent_id(org, idempotency_key, mine)
        raise
    datasets.complete_idempotent_id(org, idempotency_key, mine)
    return created


def _fingerprint(request: Request) -> str:
    """The request as far as it is known before its body: the query (name, type, options)
    and the body's size. The same key with another fingerprint is another request."""
    items = sorted((k, v) for k in request.args for v in request.args.getlist(k))
    text = json.dumps([items, request.content_length])
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(bound: IdempotentRequest, mine: IdempotentRequest) -> str:
    """The answer to a retry (IETF draft-ietf-httpapi-idempotency-key-header)."""
    if bound.fingerprint and bound.fingerprint != mine.fingerprint:
        raise ApiError(
            422,
            "this Idempotency-Key was used for a different request (other name, type, "
            "options or file); use a new key for a new request",
        )
    if bound.pending:
        raise ApiError(
            409,
            "a request with this Idempotency-Key is still being processed; retry shortly",
            {"Retry-After": "2"},
        )
    return bound.dataset_id


def _receive_and_record(
    ctx: SieveContext,
    org: str,
    request: Request,
    body: BinaryIO,
    query: dict[str, Any],
    dataset_id: str,
) -> str:
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    if request.mimetype != "multipart/form-data" or not boundary:
        raise bad_request("send the dataset as multipart/form-data with a 'data' file part")
    streamer = _streamer(ctx, org, request, query, dataset_id)
    session = UploadSession(ctx.stores, org, dataset_id, streamer, request.content_length)
    try:
        upload = session.receive(body, boundary)
        create = _parse_options(query, _option_values(upload.fields))
        record_upload(ctx, org, dataset_id, create, upload, streamer)
    except BaseException as exc:
        session.discard()
        refused = isinstance(exc, ApiError) and exc.status in (400, 413, 503)
        if refused or isinstance(exc, StorageFullError | StorageUnavailableError):
            drain(body, ctx.settings.max_dataset_bytes)  # so the client reads our answer
        raise
    start_validation(ctx, dataset_id)
    return dataset_id


def record_upload(
    ctx: SieveContext,
    org: str,
    dataset_id: str,
    create: CreateOptions,
    upload: ReceivedUpload,
    streamer: ChunkStreamer,
) -> None:
    """The upload is whole: record the dataset, taking over the upload's quota reservation
    (held under the dataset's id). A streamed one's record exists already: it is completed."""
    record = _record(org, dataset_id, create, upload)
    upload_id = dataset_id  # a dry run's bytes count too, while they are stored
    if streamer.started:
        streamer.check_late_options(create)
        record.plan = streamer.final_plan(record.files)
        record.status = Status.PROCESSING  # its chunks are being validated already
        if not ctx.stores.datasets.complete_upload(record, upload_id):
            raise unavailable()  # swept as abandoned meanwhile: only a retry can help
    else:
        ctx.stores.datasets.create(record, upload_id)


def start_validation(ctx: SieveContext, dataset_id: str) -> None:
    """Send the recorded dataset to the workers; never a stored dataset behind a 5xx."""
    g.dataset_id = dataset_id
    try:
        ctx.enqueuer.start_validation(dataset_id, current_request_id())
    except Exception as exc:  # the queue is unreachable (after Celery's publish retries)
        log.warning("dataset %s could not be enqueued: %s", dataset_id, exc)
        remove_dataset(ctx.stores, dataset_id)
        raise unavailable() from exc


def _streamer(
    ctx: SieveContext, org: str, request: Request, query: dict[str, Any], dataset_id: str
) -> ChunkStreamer:
    """Validation can start while the bytes arrive when the query already says everything
    validation needs (what the SDK sends); otherwise the bytes are only stored, and it starts
    after the last byte."""
    try:
        create = CreateOptions.from_dict(CreateOptionsSchema().load(query))
    except ValidationError:
        create = None  # the name or type comes in form fields
    return ChunkStreamer(
        ctx.stores,
        ctx.enqueuer,
        (dataset_id, org),
        create,
        request.content_length,
        current_request_id(),
    )


def _record(
    org: str, dataset_id: str, create: CreateOptions, upload: ReceivedUpload
) -> DatasetRecord:
    files = {
        role: stored_file(
            create, role, (received.filename, received.head, received.size), received.segments
        )
        for role, received in upload.files.items()
    }
    if "train" not in files:
        raise bad_request("missing the 'data' file part")
    delimiter = default_delimiter(upload.files["train"].filename)
    create = replace(create, dataset=create.dataset.with_default_delimiter(delimiter))
    now = format_timestamp(utc_now())
    return DatasetRecord.new(dataset_id, org, create, files, now, usage_bytes=upload.total_bytes)
