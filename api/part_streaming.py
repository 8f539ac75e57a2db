"""Validating a resumable upload while its parts arrive: whenever the parts from the start of
the file are all in, the bytes past the last chunk sent are cut into chunks and sent to the
workers (api/streaming.py, resumed from where the previous part's request left it)."""

from __future__ import annotations

import logging
import secrets
import time

from api.context import SieveContext
from api.errors import ApiError
from api.request_log import current_request_id
from api.streaming import ChunkStreamer, ResumePoint
from store.segments import SegmentedFile
from store.uploads import ResumableUpload, UploadState

log = logging.getLogger(__name__)

ADVANCE_LOCK_SECONDS = 10  # renewed while cutting; a dead holder's lock goes this soon
ROLE = "train"  # a resumable upload carries the data file (eval_data: POST /v1/datasets)


class _StoredParts:
    """The streamer's sink for a resumable upload: its parts are stored already (and are the
    file's segments), so there is nothing to write."""

    def __init__(self, stored: SegmentedFile) -> None:
        self._stored = stored

    def write(self, data: bytes) -> None:
        """The bytes came from the parts."""

    def seal(self) -> None:
        """Parts are durable once recorded."""

    def stored(self) -> SegmentedFile:
        return self._stored


class AdvanceLock:
    """The advance lock, held by one request: short-lived and renewed while cutting, so a web
    process that dies holding it stalls no one for long; a holder that lost it saves nothing."""

    def __init__(self, ctx: SieveContext, upload_id: str) -> None:
        self._uploads = ctx.stores.uploads
        self.upload_id = upload_id
        self.holder = secrets.token_hex(8)
        self._renewed = 0.0

    def claim(self) -> bool:
        self._renewed = time.monotonic()
        return self._uploads.claim_advance(self.upload_id, self.holder, ADVANCE_LOCK_SECONDS)

    def renew(self) -> None:
        now = time.monotonic()
        if now - self._renewed > ADVANCE_LOCK_SECONDS / 3:
            self._renewed = now
            self._uploads.renew_advance(self.upload_id, self.holder, ADVANCE_LOCK_SECONDS)

    def release(self) -> None:
        self._uploads.release_advance(self.upload_id, self.holder)


def advance(ctx: SieveContext, upload_id: str) -> None:
    """Cut the bytes the leading parts make known into chunks and send them. One process at a
    time does it; whoever holds it looks again after letting go, so no part is missed. A
    failure here costs only speed: the complete request goes on from the last saved point."""
    uploads = ctx.stores.uploads
    lock = AdvanceLock(ctx, upload_id)
    while lock.claim():
        try:
            upload = uploads.get(upload_id)
            progressed = upload is not None and _advance_once(ctx, upload, lock)
        except Exception:  # noqa: BLE001 - see the docstring
            log.warning("upload %s: streamed validation paused", upload_id, exc_info=True)
            progressed = False
        finally:
            lock.release()
        latest = uploads.get(upload_id)
        if not progressed or latest is None or not _news(latest):
            return


def _news(upload: ResumableUpload) -> bool:
    seen = (upload.resume or {}).get("seen", 0)
    return upload.state is UploadState.OPEN and upload.contiguous_bytes() > seen


def _advance_once(ctx: SieveContext, upload: ResumableUpload, lock: AdvanceLock) -> bool:
    if not _news(upload) or not ctx.stores.uploads.claim(upload.id, upload.contiguous_bytes()):
        return False
    upload = ctx.stores.uploads.get(upload.id)  # the parts as claimed: frozen from now on
    if upload is None:
        return False
    known = upload.contiguous_bytes()
    streamer, offset, stored = resumed_streamer(ctx, upload)
    try:
        for block in stored.iter_range(offset, known):
            streamer.feed(ROLE, block)
            lock.renew()
    except ApiError:  # the content was refused: the complete request will say why
        point = streamer.suspend(ROLE)
        if point is not None:
            point.stopped = True
    else:
        point = streamer.suspend(ROLE)
    resume = {"seen": known, "point": point.to_dict() if point else None}
    return ctx.stores.uploads.save_resume(upload.id, resume, lock.holder)


def resumed_streamer(
    ctx: SieveContext, upload: ResumableUpload
) -> tuple[ChunkStreamer, int, SegmentedFile]:
    """The streamer where the last request left it, the offset to feed from, and the file as
    far as its leading parts go."""
    streamer = ChunkStreamer(
        ctx.stores,
        ctx.enqueuer,
        (upload.dataset_id, upload.org),
        upload.create,
        upload.size,
        current_request_id(),
        alive_until=upload.expires_at,
    )
    saved = (upload.resume or {}).get("point")
    point = ResumePoint(**saved) if saved else None
    stored = SegmentedFile(ctx.stores.blobs, upload.leading_segments())
    return streamer, streamer.resume(ROLE, _StoredParts(stored), upload.filename, point), stored
