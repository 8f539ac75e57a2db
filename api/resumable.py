"""Resumable uploads (`/v1/uploads`): a big file sent as numbered parts, in any order and in
parallel, each checked against its SHA-256, then completed with the whole file's SHA-256.

Parts have a fixed size (the last one is what is left), so each part's place in the file is
known when it arrives. Whenever the parts from the start of the file are all in, the bytes past
the last chunk sent are cut into chunks and sent to the workers (api/streaming.py, resumed from
where the previous part's request left it): by the time the client completes, most of the
file is validated. The declared size is reserved against the organization's quota when the
upload is opened; an unfinished upload expires (workers/retention) and gives everything back.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

from api.context import SieveContext
from api.creation import new_dataset_id, record_upload, start_validation
from api.errors import ApiError, bad_request, not_found
from api.request_log import current_request_id
from api.streaming import HEAD_BYTES, ChunkStreamer, ResumePoint
from api.uploads import READ_BYTES, ReceivedFile, ReceivedUpload, drain, human_size
from store.datasets import format_timestamp, utc_now
from store.removal import remove_upload, upload_key, upload_part_key, upload_parts_prefix
from store.uploads import ReceivedPart, ResumableUpload, UploadState
from validators.registry import spec_for

log = logging.getLogger(__name__)
MAX_PARTS = 10_000
ADVANCE_LOCK_SECONDS = 300
COMPLETE_WAIT_SECONDS = 60.0
ROLE = "train"  # a resumable upload carries the data file (eval_data: POST /v1/datasets)


class MendableError(ApiError):
    """A complete the client can put right (send a missing part, check its checksum): the
    upload stays open."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def not_an_upload() -> ApiError:
    return not_found("upload not found")


def open_upload(ctx: SieveContext, org: str, declared: dict[str, Any]) -> ResumableUpload:
    """Check the declared size against the limits and reserve it; the upload to send parts to."""
    settings = ctx.settings
    size, part_size = declared["size"], declared["part_size"]
    if size > settings.max_dataset_bytes:
        raise ApiError(
            413, f"the dataset is larger than the {human_size(settings.max_dataset_bytes)} limit"
        )
    if -(-size // part_size) > MAX_PARTS:
        raise bad_request(f"{size} bytes in parts of {part_size} make over {MAX_PARTS} parts")
    options = {k: v for k, v in declared.items() if k not in ("filename", "size", "part_size")}
    upload = ResumableUpload(
        id=f"upl-{secrets.token_hex(16)}",
        org=org,
        dataset_id=new_dataset_id(declared["name"]),
        name=declared["name"],
        dataset_type=declared["type"],
        filename=declared["filename"],
        size=size,
        part_size=part_size,
        options=options,
        created_at=format_timestamp(utc_now()),
        expires_at=time.time() + settings.upload_expiry_seconds,
    )
    if not options["dry_run"]:
        reserved = ctx.stores.quota.reserve(org, upload.dataset_id, size, upload.expires_at)
        if not reserved:
            limit = human_size(settings.max_org_bytes)
            raise bad_request(
                f"You have exceeded capacity: your organization may store {limit} of datasets"
            )
    ctx.stores.uploads.create(upload)
    return upload


def _open(ctx: SieveContext, org: str, upload_id: str) -> ResumableUpload:
    upload = ctx.stores.uploads.get(upload_id, org=org)
    if upload is None:
        raise not_an_upload()
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
    the parts from the start of the file now make known."""
    upload = _open(ctx, org, upload_id)
    expected = _check_part(upload, number, length, sha256, body)
    key = upload_part_key(upload.dataset_id, number)
    writer = ctx.stores.blobs.open_writer(key)
    digest, received = hashlib.sha256(), 0
    try:
        while block := body.read(READ_BYTES):
            received += len(block)
            if received > expected:
                raise bad_request(f"part {number} is longer than its {expected} bytes")
            digest.update(block)
            writer.write(block)
        if received < expected:
            raise bad_request(f"part {number} ended after {received} of its {expected} bytes")
        if digest.hexdigest() != sha256:
            raise bad_request(
                f"part {number}: its bytes have SHA-256 {digest.hexdigest()}, not the {sha256} "
                "sent with it (changed on the way?); send the part again"
            )
        writer.commit()
    except BaseException:
        writer.abort()
        drain(body, expected)
        raise
    part = ReceivedPart(number, received, sha256)
    ctx.stores.uploads.save_part(upload_id, part)
    if ctx.stores.uploads.get(upload_id) is None:  # aborted meanwhile: leave nothing
        ctx.stores.blobs.delete_prefix(key)
        ctx.stores.uploads.forget(upload_id)
        raise not_an_upload()
    advance(ctx, upload_id)
    return part


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


# -- validating the known bytes ------------------------------------------------------------------
def advance(ctx: SieveContext, upload_id: str) -> None:
    """Cut the bytes the leading parts make known into chunks and send them. One process at a
    time does it; whoever holds it looks again after letting go, so no part is missed. A
    failure here costs only speed: the complete request goes on from the last saved point."""
    holder = secrets.token_hex(8)
    uploads = ctx.stores.uploads
    while uploads.claim_advance(upload_id, holder, ADVANCE_LOCK_SECONDS):
        try:
            upload = uploads.get(upload_id)
            progressed = upload is not None and _advance_once(ctx, upload)
        except Exception:  # noqa: BLE001 - see the docstring
            log.warning("upload %s: streamed validation paused", upload_id, exc_info=True)
            progressed = False
        finally:
            uploads.release_advance(upload_id, holder)
        latest = uploads.get(upload_id)
        if not progressed or latest is None or not _news(latest):
            return


def _news(upload: ResumableUpload) -> bool:
    seen = (upload.resume or {}).get("seen", 0)
    return upload.state is UploadState.OPEN and upload.contiguous_bytes() > seen


def _advance_once(ctx: SieveContext, upload: ResumableUpload) -> bool:
    if not _news(upload):
        return False
    known = upload.contiguous_bytes()
    streamer, offset = _resumed_streamer(ctx, upload)
    try:
        for block in _part_blocks(ctx, upload, offset, known):
            streamer.feed(ROLE, block)
    except ApiError:  # the content was refused: the complete request will say why
        point = streamer.suspend(ROLE)
        if point is not None:
            point.stopped = True
    else:
        point = streamer.suspend(ROLE)
    resume = {"seen": known, "point": point.to_dict() if point else None}
    ctx.stores.uploads.save_resume(upload.id, resume)
    return True


def _resumed_streamer(ctx: SieveContext, upload: ResumableUpload) -> tuple[ChunkStreamer, int]:
    streamer = ChunkStreamer(
        ctx.stores,
        ctx.enqueuer,
        (upload.dataset_id, upload.org, upload.name),
        spec_for(upload.dataset_type),
        upload.options,
        upload.size,
        current_request_id(),
        alive_until=upload.expires_at,
    )
    saved = (upload.resume or {}).get("point")
    point = ResumePoint(**saved) if saved else None
    key = upload_key(upload.dataset_id, ROLE)
    return streamer, streamer.resume(ROLE, key, upload.filename, point)


def _part_blocks(
    ctx: SieveContext, upload: ResumableUpload, start: int, end: int
) -> Iterator[bytes]:
    """The file's bytes [start, end) read from its parts."""
    while start < end:
        number = start // upload.part_size + 1
        part_start = (number - 1) * upload.part_size
        stop = min(end, part_start + upload.part_bytes(number)) - part_start
        key = upload_part_key(upload.dataset_id, number)
        yield from ctx.stores.blobs.iter_range(key, start - part_start, stop)
        start = part_start + stop


# -- the end -------------------------------------------------------------------------------------
def complete(ctx: SieveContext, org: str, upload_id: str, sha256: str) -> str:
    """Every part is in and the whole file has `sha256`: the dataset's id. Until it is
    recorded, a failure the client can mend (a missing part, another checksum) leaves the
    upload open; a file its type refuses ends it."""
    uploads = ctx.stores.uploads
    upload = uploads.get(upload_id, org=org)
    if upload is None:
        raise not_an_upload()
    if upload.state is UploadState.COMPLETED:
        return upload.dataset_id  # a retried complete
    if not uploads.move(upload_id, UploadState.OPEN, UploadState.COMPLETING):
        raise ApiError(409, f"the upload is {upload.state.value}", {"Retry-After": "2"})
    try:
        _wait_for_advance(ctx, upload_id)
        upload = uploads.get(upload_id)
        received = _assemble(ctx, upload, sha256)
        streamer, offset = _resumed_streamer(ctx, upload)
        for block in ctx.stores.blobs.iter_range(received.key, offset):
            streamer.feed(ROLE, block)
        streamer.close(ROLE)
        files = ReceivedUpload(files={ROLE: received})
        record_upload(ctx, org, upload.dataset_id, dict(upload.options), files, streamer)
    except BaseException as exc:
        if isinstance(exc, MendableError) or not isinstance(exc, ApiError):
            ctx.stores.blobs.delete_prefix(upload_key(upload.dataset_id, ROLE))
            uploads.move(upload_id, UploadState.COMPLETING, UploadState.OPEN)
        else:  # the file was refused: the upload can't succeed
            remove_upload(ctx.stores, upload)
        raise
    try:
        start_validation(ctx, upload.dataset_id)  # on failure the dataset is removed
    except BaseException:
        remove_upload(ctx.stores, upload)
        raise
    uploads.finish(upload_id, ctx.settings.upload_expiry_seconds)
    ctx.stores.blobs.delete_prefix(upload_parts_prefix(upload.dataset_id))
    return upload.dataset_id


def _wait_for_advance(ctx: SieveContext, upload_id: str) -> None:
    """Let a part's request finish cutting (it stops soon: the upload is no longer open)."""
    holder = secrets.token_hex(8)
    deadline = time.monotonic() + COMPLETE_WAIT_SECONDS
    while not ctx.stores.uploads.claim_advance(upload_id, holder, ADVANCE_LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise ApiError(409, "the parts are still being read; retry", {"Retry-After": "5"})
        time.sleep(0.05)
    ctx.stores.uploads.release_advance(upload_id, holder)


def _assemble(ctx: SieveContext, upload: ResumableUpload, sha256: str) -> ReceivedFile:
    """The parts, in order, as the one file of the dataset; checked against `sha256`."""
    missing = upload.missing_parts()
    if missing:
        listed = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise MendableError(
            f"{len(missing)} of {upload.part_count} parts are missing: {listed}; "
            "send them, then complete again"
        )
    key = upload_key(upload.dataset_id, ROLE)
    received = ReceivedFile(ROLE, key, upload.filename, upload.size)
    digest = hashlib.sha256()
    writer = ctx.stores.blobs.open_writer(key)
    try:
        for block in _part_blocks(ctx, upload, 0, upload.size):
            digest.update(block)
            writer.write(block)
            if len(received.head) < HEAD_BYTES:
                received.head += block[: HEAD_BYTES - len(received.head)]
        if digest.hexdigest() != sha256:
            raise MendableError(
                f"the parts make a file with SHA-256 {digest.hexdigest()}, not {sha256}: "
                "check the parts' order and sizes, then complete again"
            )
        writer.commit()
    except BaseException:
        writer.abort()
        raise
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
