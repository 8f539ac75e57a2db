"""Resumable uploads (`/v1/uploads`): a big file sent as numbered parts, in any order and in
parallel, each checked against its SHA-256, then completed with the whole file's SHA-256.

Parts have a fixed size (the last one is what is left), so each part's place in the file is
known when it arrives. Whenever the parts from the start of the file are all in, the bytes past
the last chunk sent are cut into chunks and sent to the workers (api/part_streaming.py): by
the time the client completes, most of the file is validated. The declared size is reserved
against the organization's quota when the upload is opened; an unfinished upload expires
(workers/retention) and gives everything back.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any, BinaryIO

from api.context import SieveContext
from api.creation import new_dataset_id, record_upload, start_validation
from api.errors import ApiError, bad_request, not_found
from api.part_streaming import ROLE, AdvanceLock, advance, resumed_streamer
from api.streaming import HEAD_BYTES
from api.uploads import READ_BYTES, ReceivedFile, ReceivedUpload, drain
from store.blobs import BlobWriter
from store.datasets import format_timestamp, utc_now
from store.records import CreateOptions
from store.removal import remove_upload, upload_part_key
from store.segments import SegmentedFile
from store.settings import format_size
from store.telemetry import metric
from store.uploads import PartSaved, ReceivedPart, ResumableUpload, UploadState

MAX_PARTS = 10_000
COMPLETE_WAIT_SECONDS = 60.0


class MendableError(ApiError):
    """A complete the client can put right or retry (send a missing part, check its
    checksum, wait for the parts being read): the upload stays open."""

    def __init__(self, message: str, status: int = 400, headers: dict | None = None) -> None:
        super().__init__(status, message, headers)


def not_an_upload() -> ApiError:
    return not_found("upload not found")


def open_upload(ctx: SieveContext, org: str, declared: dict[str, Any]) -> ResumableUpload:
    """Check the declared size against the limits and reserve it; the upload to send parts to."""
    settings = ctx.settings
    size, part_size = declared["size"], declared["part_size"]
    if size > settings.max_dataset_bytes:
        raise ApiError(
            413, f"the dataset is larger than the {format_size(settings.max_dataset_bytes)} limit"
        )
    if -(-size // part_size) > MAX_PARTS:
        raise bad_request(f"{size} bytes in parts of {part_size} make over {MAX_PARTS} parts")
    create = CreateOptions.from_dict(declared)
    upload = ResumableUpload(
        id=f"upl-{secrets.token_hex(16)}",
        org=org,
        dataset_id=new_dataset_id(create.name),
        filename=declared["filename"],
        size=size,
        part_size=part_size,
        create=create,
        created_at=format_timestamp(utc_now()),
        expires_at=time.time() + settings.upload_expiry_seconds,
    )
    if not ctx.stores.uploads.create(upload, settings.max_open_uploads):
        raise ApiError(
            429,
            f"your organization has {settings.max_open_uploads} uploads open, the most it may: "
            "complete or abort one (DELETE /v1/uploads/{id}) first",
            {"Retry-After": "60"},
        )
    # Reserved like any upload, dry runs too: their bytes are stored until their verdict.
    if not ctx.stores.quota.reserve(org, upload.dataset_id, size, upload.expires_at):
        ctx.stores.uploads.forget(upload.id, org)
        limit = format_size(settings.max_org_bytes)
        raise bad_request(
            f"You have exceeded capacity: your organization may store {limit} of datasets"
        )
    return upload


def find_upload(ctx: SieveContext, org: str, upload_id: str) -> ResumableUpload:
    """The org's upload; 404 when there is none, 410 once it expired (even before beat's
    sweep removes it)."""
    upload = ctx.stores.uploads.get(upload_id, org=org)
    if upload is None:
        raise not_an_upload()
    if upload.state is UploadState.OPEN and upload.expires_at < time.time():
        raise ApiError(
            410,
            f"the upload expired at {upload.expires}: open a new one",
        )
    return upload


def _open(ctx: SieveContext, org: str, upload_id: str) -> ResumableUpload:
    upload = find_upload(ctx, org, upload_id)
    if upload.state is not UploadState.OPEN:
        raise ApiError(409, f"the upload is {upload.state.value}: it takes no more parts")
    return upload


# -- parts -------------------------------------------------------------------------------------
def put_part(  # noqa: PLR0913 - the request's parts
    ctx: SieveContext,
    org: str,
    upload_id: str,
    number: int,
    body: BinaryIO,
    length: int | None,
    sha256: str,
) -> ReceivedPart:
    """Store part `number` if its bytes have the SHA-256 sent with it; then cut and send what
    the parts from the start of the file now make known. The same part again is answered as
    the first time; other bytes for a part already cut into chunks get a 409."""
    upload = _open(ctx, org, upload_id)
    expected = _check_part(upload, number, length, sha256, body)
    known = upload.parts.get(number)
    if known is not None and known.sha256 == sha256:
        _read_checked(number, body, expected, sha256, sink=None)
        return known
    if known is not None and upload.claimed > upload.part_start(number):
        drain(body, expected)
        raise _already_cut(number)
    key = upload_part_key(upload.dataset_id, number, secrets.token_hex(4))
    writer = ctx.stores.blobs.open_writer(key)
    try:
        _read_checked(number, body, expected, sha256, sink=writer)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    part = ReceivedPart(number, expected, sha256, key)
    saved = ctx.stores.uploads.save_part(upload_id, part, upload.part_start(number))
    if saved is not PartSaved.SAVED:  # completed, aborted or cut meanwhile: leave nothing
        ctx.stores.blobs.delete_prefix(key)
        if saved is PartSaved.ALREADY_CUT:
            raise _already_cut(number)
        raise ApiError(409, "the upload was completed or aborted meanwhile: it takes no parts")
    if known is not None:  # replaced before its bytes were cut: the old bytes go
        ctx.stores.blobs.delete_prefix(known.key)
    advance(ctx, upload_id)
    return part


def _already_cut(number: int) -> ApiError:
    return ApiError(
        409,
        f"part {number} was already received with other bytes, and validation has read them: "
        "a part can't change once its bytes are validated; abort the upload to send another file",
    )


def _read_checked(
    number: int, body: BinaryIO, expected: int, sha256: str, sink: BlobWriter | None
) -> None:
    """Read the part's `expected` bytes (into `sink`), checking their length and SHA-256."""
    digest, received = hashlib.sha256(), 0
    try:
        while block := body.read(READ_BYTES):
            received += len(block)
            if received > expected:
                raise bad_request(f"part {number} is longer than its {expected} bytes")
            digest.update(block)
            metric("upload_bytes").inc(len(block))
            if sink is not None:
                sink.write(block)
        if received < expected:
            raise bad_request(f"part {number} ended after {received} of its {expected} bytes")
        if digest.hexdigest() != sha256:
            raise bad_request(
                f"part {number}: its bytes have SHA-256 {digest.hexdigest()}, not the {sha256} "
                "sent with it (changed on the way?); send the part again"
            )
    except BaseException:
        drain(body, expected)
        raise


def _check_part(
    upload: ResumableUpload, number: int, length: int | None, sha256: str, body: BinaryIO
) -> int:
    """The part's expected size, or a 400 naming the part (its body drained)."""
    problem = None
    expected = upload.part_bytes(number) if 1 <= number <= upload.part_count else 0
    if not expected:
        problem = f"part {number}: this upload has parts 1 to {upload.part_count}"
    elif len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        problem = f"part {number}: send its SHA-256 as 64 hex digits in X-Content-SHA256"
    elif length is not None and length != expected:
        problem = f"part {number} must be {expected} bytes, not {length}"
    if problem:
        drain(body, upload.part_size)
        raise bad_request(problem)
    return expected


# -- the end -------------------------------------------------------------------------------------
def complete(ctx: SieveContext, org: str, upload_id: str, sha256: str) -> str:
    """Every part is in and the whole file has `sha256`: the dataset's id. Until it is
    recorded, a failure the client can mend or retry (a missing part, another checksum, parts
    still being read) leaves the upload open; a file its type refuses ends it."""
    uploads = ctx.stores.uploads
    upload = find_upload(ctx, org, upload_id)
    if upload.state is UploadState.COMPLETED:
        return upload.dataset_id  # a retried complete
    if not uploads.move(upload_id, UploadState.OPEN, UploadState.COMPLETING):
        raise ApiError(409, f"the upload is {upload.state.value}", {"Retry-After": "2"})
    try:
        _wait_for_advance(ctx, upload_id)
        upload = uploads.get(upload_id)
        received = _whole_file(ctx, upload, sha256)
        streamer, offset, stored = resumed_streamer(ctx, upload)
        for block in stored.iter_range(offset):
            streamer.feed(ROLE, block)
        streamer.close(ROLE)
        files = ReceivedUpload(files={ROLE: received})
        record_upload(ctx, org, upload.dataset_id, upload.create, files, streamer)
    except BaseException as exc:
        if isinstance(exc, MendableError) or not isinstance(exc, ApiError):
            uploads.move(upload_id, UploadState.COMPLETING, UploadState.OPEN)
        else:  # the file was refused: the upload can't succeed
            remove_upload(ctx.stores, upload)
        raise
    try:
        start_validation(ctx, upload.dataset_id)  # on failure the dataset is removed
    except BaseException:
        remove_upload(ctx.stores, upload)
        raise
    uploads.finish(upload, ctx.settings.upload_expiry_seconds)
    return upload.dataset_id


def _wait_for_advance(ctx: SieveContext, upload_id: str) -> None:
    """Let a part's request finish cutting (it stops soon: the upload is no longer open). A
    holder that died lets go within part_streaming.ADVANCE_LOCK_SECONDS."""
    lock = AdvanceLock(ctx, upload_id)
    deadline = time.monotonic() + COMPLETE_WAIT_SECONDS
    while not lock.claim():
        if time.monotonic() > deadline:
            raise MendableError("the parts are still being read; retry", 409, {"Retry-After": "5"})
        time.sleep(0.05)
    lock.release()


def _whole_file(ctx: SieveContext, upload: ResumableUpload, sha256: str) -> ReceivedFile:
    """The parts, in order, as the one file of the dataset, checked against `sha256` (read,
    never copied: the parts are its segments)."""
    missing = upload.missing_parts()
    if missing:
        listed = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise MendableError(
            f"{len(missing)} of {upload.part_count} parts are missing: {listed}; "
            "send them, then complete again"
        )
    segments = upload.leading_segments()
    received = ReceivedFile(ROLE, upload.filename, tuple(segments), upload.size)
    digest = hashlib.sha256()
    for block in SegmentedFile(ctx.stores.blobs, segments).iter_range():
        digest.update(block)
        if len(received.head) < HEAD_BYTES:
            received.head += block[: HEAD_BYTES - len(received.head)]
    if digest.hexdigest() != sha256:
        raise MendableError(
            f"the parts make a file with SHA-256 {digest.hexdigest()}, not {sha256}: "
            "check the parts' order and sizes, then complete again"
        )
    return received


def abort(ctx: SieveContext, org: str, upload_id: str) -> None:
    upload = ctx.stores.uploads.get(upload_id, org=org)
    if upload is None:
        raise not_an_upload()
    if not ctx.stores.uploads.move(upload_id, UploadState.OPEN, UploadState.ABORTED):
        if upload.state is UploadState.COMPLETED:
            raise ApiError(409, f"the upload is complete: delete dataset {upload.dataset_id}")
        raise ApiError(409, f"the upload is {upload.state.value}", {"Retry-After": "2"})
    remove_upload(ctx.stores, upload)
