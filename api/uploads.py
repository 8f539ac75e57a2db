"""Receive a multipart upload as a stream, straight into blob storage (each file's segments).

The body is decoded incrementally by python-multipart's callback parser (the one under
Starlette; several times faster than werkzeug's sans-IO decoder): file bytes go to the streamer
as they arrive, which stores them once and cuts chunks from them, the dataset size limit is
checked on every block, and the org quota is reserved in step with the bytes received. Whatever
goes wrong, `UploadSession.discard` removes every blob written and releases every byte reserved
— nothing is left half-written.
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import BinaryIO

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from api.errors import ApiError, bad_request
from api.streaming import ChunkStreamer
from store import Stores
from store.blobs import StorageUnavailableError
from store.removal import dataset_prefix, upload_prefix
from store.segments import Segment, SegmentWriter
from store.settings import format_size
from store.telemetry import metric
from validators.formats import FileRefused, refuse_unreadable

READ_BYTES = 256 * 1024  # small enough that a slow upload is cut and validated as it comes
MAX_READ_BYTES = 4 * 1024 * 1024  # a fast one is read in bigger blocks (see ReadPace)
RESERVE_EVERY = 4 * 1024 * 1024  # at least; 1/32 of a big body (and at the end, exactly)
RESERVE_STEPS = 32
HEAD_BYTES = 64 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_PART_HEADER_BYTES = 16 * 1024  # one header line
MAX_PART_HEADERS = 16
FILE_ROLES = {"data": "train", "file": "train", "eval_data": "eval"}


@dataclass
class ReceivedFile:
    role: str
    filename: str
    segments: tuple[Segment, ...] = ()  # once the file is whole
    size: int = 0
    head: bytes = b""


@dataclass
class ReceivedUpload:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, ReceivedFile] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files.values())


class ReadPace:
    """Read sizes that follow the client: the WSGI stream's read(n) waits for all n bytes, so a
    slow client is read in small blocks (each is cut and validated as it comes), and a fast one
    in blocks up to 16 times bigger (on loopback, 256 KiB reads cost a third of the upload in
    copies and calls)."""

    FAST_SECONDS = 0.02  # a full block this quick: double the next one
    SLOW_SECONDS = 0.2  # a block this slow: halve the next one

    def __init__(self) -> None:
        self.size = READ_BYTES

    def read(self, stream: BinaryIO) -> bytes:
        started = time.monotonic()
        block = stream.read(self.size)
        took = time.monotonic() - started
        if took < self.FAST_SECONDS and len(block) == self.size:
            self.size = min(self.size * 2, MAX_READ_BYTES)
        elif took > self.SLOW_SECONDS:
            self.size = max(self.size // 2, READ_BYTES)
        return block


class UploadSession:
    """One upload's blobs and quota reservation, until it becomes a dataset or is discarded."""

    def __init__(
        self,
        stores: Stores,
        org: str,
        dataset_id: str,
        streamer: ChunkStreamer,
        expected_bytes: int | None = None,
    ) -> None:
        self._stores = stores
        self._reserve_every = max(RESERVE_EVERY, (expected_bytes or 0) // RESERVE_STEPS)
        self.streamer = streamer
        self._org = org
        self.dataset_id = dataset_id
        self._reserved = 0
        self._last_reserved = time.monotonic()
        self._heartbeat_seconds = stores.settings.abandoned_upload_seconds / 10
        self._writers: dict[str, SegmentWriter] = {}
        self.upload = ReceivedUpload()

    # -- receiving -----------------------------------------------------------------------
    def receive(self, stream: BinaryIO, boundary: bytes) -> ReceivedUpload:
        parts = _Parts(self)
        parser = MultipartParser(
            boundary,
            parts.callbacks(),
            max_header_count=MAX_PART_HEADERS,
            max_header_size=MAX_PART_HEADER_BYTES,
        )
        pace = ReadPace()
        while not parts.ended:
            time.sleep(0)  # under gevent, let other connections in between blocks
            block = pace.read(stream)
            if not block:
                raise bad_request("the upload ended before the multipart body was complete")
            try:
                parser.write(block)
            except MultipartParseError as exc:
                raise bad_request(f"malformed multipart body: {exc}") from exc
        self._reserve(force=True)
        return self.upload

    def open_file(self, name: str, filename: str) -> ReceivedFile:
        role = FILE_ROLES.get(name)
        if role is None:
            raise bad_request(
                f"unexpected file part {name!r}: "
                "send the file as 'data' (and optionally 'eval_data')"
            )
        if role in self.upload.files:
            raise bad_request(f"the {name!r} file was sent twice")
        received = ReceivedFile(role, filename or "upload")
        self.upload.files[role] = received
        writer = SegmentWriter(self._stores.blobs, upload_prefix(self.dataset_id, role))
        self._writers[role] = writer
        self.streamer.open(role, writer, received.filename)
        return received

    def add_field(self, name: str, value: str) -> None:
        self.upload.fields.setdefault(name, []).append(value)

    def end_file(self, received: ReceivedFile) -> None:
        self.streamer.close(received.role)
        received.segments = self.streamer.segments(received.role)

    def write(self, received: ReceivedFile, data: bytes) -> None:
        if not data:
            return
        if len(received.head) < HEAD_BYTES:
            received.head += data[: HEAD_BYTES - len(received.head)]
            self._refuse_unreadable(received)
        received.size += len(data)
        metric("upload_bytes").inc(len(data))
        limit = self._stores.settings.max_dataset_bytes
        if self.upload.total_bytes > limit:
            raise ApiError(
                413,
                f"the dataset is larger than the {format_size(limit)} limit "
                "(data and eval_data together)",
            )
        self.streamer.feed(received.role, data)  # stored; storage errors: 503 (api/errors.py)
        self._reserve()

    def _refuse_unreadable(self, received: ReceivedFile) -> None:
        part = "eval_data" if received.role == "eval" else "data"
        try:
            refuse_unreadable(part, received.head, whole=False)
        except FileRefused as exc:
            raise bad_request(str(exc)) from exc

    def _reserve(self, force: bool = False) -> None:
        """Reserve quota for the bytes received, in steps of RESERVE_EVERY bytes or 1/32 of the
        body (each step is a Redis round trip: a 256 MB upload in 4 MiB steps spent a fifth of
        its time there) — and at least every
        tenth of SIEVE_ABANDONED_UPLOAD_SECONDS, the heartbeat that tells beat's sweep this
        upload is alive (a dead web process's reservation is given back, see workers/retention)."""
        total, now = self.upload.total_bytes, time.monotonic()
        beat_due = now - self._last_reserved > self._heartbeat_seconds
        if not force and not beat_due and total - self._reserved < self._reserve_every:
            return
        self._last_reserved = now
        if not self._stores.quota.reserve(self._org, self.dataset_id, total):
            limit = format_size(self._stores.settings.max_org_bytes)
            raise bad_request(
                f"You have exceeded capacity: your organization may store {limit} of datasets"
            )
        self._reserved = total

    # -- endings -------------------------------------------------------------------------
    def discard(self) -> None:
        """Remove every blob written and release every byte reserved (idempotent). The quota
        is released even when the storage is unreachable; beat's sweep aborts what's left."""
        try:
            if self.streamer.started:
                self._stores.datasets.delete(self.dataset_id)  # first: workers stop at once
            with suppress(StorageUnavailableError):
                for writer in self._writers.values():
                    writer.abort()
                self._stores.blobs.delete_prefix(dataset_prefix(self.dataset_id))
        finally:
            self._stores.quota.release(self._org, self.dataset_id)


class _Parts:
    """The parser's callbacks: each part's headers, then its bytes to a file or a form field."""

    def __init__(self, session: UploadSession) -> None:
        self._session = session
        self._header = bytearray()
        self._value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._file: ReceivedFile | None = None
        self._unopened: tuple[str, str] | None = None  # a file part whose first byte is to come
        self._field: str | None = None
        self._buffer = bytearray()
        self.ended = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._header.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_end": self._finished,
        }

    def _begin(self) -> None:
        self._headers, self._file, self._unopened, self._field = {}, None, None, None
        self._buffer = bytearray()

    def _header_end(self) -> None:
        self._headers[self._header.decode("latin-1").lower()] = bytes(self._value)
        self._header, self._value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", errors="replace")
        if b"filename" in params or name in FILE_ROLES:  # cohere-go sends `data` unnamed
            filename = params.get(b"filename", b"").decode("utf-8", errors="replace")
            self._unopened = (name, filename)  # opened with its first byte
        else:
            self._field = name

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._unopened is not None and end > start:
            self._file, self._unopened = self._session.open_file(*self._unopened), None
        if self._file is not None:
            self._session.write(self._file, data[start:end])
            return
        self._buffer.extend(data[start:end])
        if len(self._buffer) > MAX_FIELD_BYTES:
            raise bad_request(f"form field {self._field!r} is too long")

    def _end(self) -> None:
        if self._unopened is not None:  # a file part with no bytes
            name, filename = self._unopened
            if FILE_ROLES.get(name) != "eval":  # an empty eval_data part is no eval data
                self._file = self._session.open_file(name, filename)  # (cohere-go sends one)
        if self._file is not None:
            self._session.end_file(self._file)
        elif self._field is not None:
            self._session.add_field(self._field, self._buffer.decode("utf-8", errors="replace"))

    def _finished(self) -> None:
        self.ended = True


def drain(stream: BinaryIO, budget: int) -> None:
    """Read and drop what's left of a refused request body (up to `budget` bytes), so the client
    sees our error answer instead of a reset connection."""
    while budget > 0:
        block = stream.read(min(READ_BYTES, budget))
        if not block:
            return
        budget -= len(block)
