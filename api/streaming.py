"""Validate while the bytes arrive: cut each uploaded file into record-aligned chunks as it
streams in, store each chunk as a blob of its own and send it to the workers at once.

The dataset's record exists from the first chunk on, marked `receiving`: not listed, not
finalized, started by the upload's end (which plans whatever streaming left). If the upload
fails, the session removes the record with everything its chunks produced; if the web process
dies, beat's sweep does (workers/redrive). Chunks get smaller towards the end of the body (its
size is known), so the work left after the last byte is short.
"""

from __future__ import annotations

import base64
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from api.errors import bad_request, unavailable
from store import Stores
from store.blobs import BlobWriter, write_blob
from store.datasets import format_timestamp, utc_now
from store.records import DatasetOptions, DatasetRecord, Status, StoredFile
from store.removal import chunk_blob_key
from validators.cutting import MAX_CSV_HEADER_BYTES, RecordCutter
from validators.formats import FileRefused, accepted_format, default_delimiter, detect_format
from validators.spec import DatasetSpec
from workers.enqueue import Enqueuer
from workers.planning import Chunk

MIN_STREAM_CHUNK = 4 * 1024 * 1024
HEAD_BYTES = 64 * 1024  # enough to tell a file's format (validators.formats)
TAIL_SHARE = 4  # near the end, a chunk is at most this fraction of the bytes still to come
PROGRESS_EVERY_SECONDS = 5.0
# The options that change what validation does: sent after streaming began, they would be late.
VALIDATION_OPTIONS = (
    "skip_malformed_input",
    "keep_fields",
    "optional_fields",
    "text_separator",
    "csv_delimiter",
)


@dataclass
class _File:
    """One file of the upload, as it is being cut."""

    role: str
    key: str  # where its whole bytes go (the upload blob)
    filename: str
    cutter: RecordCutter | None = None  # once its format is known from its first bytes
    head: bytearray = field(default_factory=bytearray)  # first bytes: format, CSV header
    pending: bytearray = field(default_factory=bytearray)  # held until the format is known
    writer: BlobWriter | None = None  # the chunk being written
    written_to: int = 0  # the file offset the current chunk's bytes reach
    chunk_begin: int = 0  # where the current chunk begins
    chunks: int = 0
    stopped: bool = False  # streaming gave up on it (planned at the upload's end instead)


@dataclass
class ResumePoint:
    """Where the streamed validation of a file stopped, so that another request (or another
    web process) goes on from there: a record boundary just past the last chunk sent. What
    follows it was not sent, and is fed again."""

    offset: int
    chunks: int  # sent so far
    plan: dict[str, Any]  # the streamer's plan: chunks, CSV headers and their blobs
    options: dict[str, Any]  # with the CSV delimiter's default filled in
    file_format: str | None = None  # None: not yet known (too few bytes seen)
    separator: str = "\n"
    header_end: int | None = None
    head: str = ""  # base64 of the file's first bytes (HEAD_BYTES): its format check
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChunkStreamer:
    def __init__(
        self,
        stores: Stores,
        enqueuer: Enqueuer,
        identity: tuple[str, str, str],  # dataset id, org, name
        spec: DatasetSpec,
        options: dict[str, Any],  # as the query gave them (CreateOptionsSchema)
        expected_bytes: int | None,
        request_id: str,
        alive_until: float | None = None,
    ) -> None:
        self._stores = stores
        self._alive_until = alive_until  # a resumable upload: its record lives till it expires
        self._enqueuer = enqueuer
        self.dataset_id, self._org, self._name = identity
        self._spec = spec
        self._options = dict(options)
        self._expected = expected_bytes
        self._request_id = request_id
        self._files: dict[str, _File] = {}
        self._received = 0
        self._last_progress = 0.0
        self.plan: dict[str, Any] = {
            "chunks": [],
            "csv_headers": {},
            "csv_header_keys": {},
            "rest": {},
        }
        self.record: DatasetRecord | None = None

    @property
    def started(self) -> bool:
        return self.record is not None

    # -- going on elsewhere (resumable uploads) ---------------------------------------------
    def resume(self, role: str, key: str, filename: str, point: ResumePoint | None) -> int:
        """Take up the file where `point` says; returns the offset whose bytes come next."""
        self.open(role, key, filename)
        if point is None:
            return 0
        file = self._files[role]
        self._options = dict(point.options)
        self.plan = dict(point.plan)
        file.chunks, file.stopped = point.chunks, point.stopped
        file.chunk_begin = file.written_to = self._received = point.offset
        file.head = bytearray(base64.b64decode(point.head))
        if point.file_format is not None:
            file.cutter = RecordCutter(
                point.file_format,
                point.separator.encode("utf-8"),
                received=point.offset,
                chunk_start=point.offset,
                header_end=point.header_end,
            )
        if point.chunks:
            self.record = self._stores.datasets.get(self.dataset_id)
        return point.offset

    def suspend(self, role: str) -> ResumePoint | None:
        """Stop where the last chunk ended, dropping the bytes after it (fed again on
        resuming); None when nothing is known yet, not even the format."""
        file = self._files.get(role)
        if file is None:
            return None
        if file.writer is not None:
            file.writer.abort()
            file.writer = None
        cutter = file.cutter
        if cutter is None and not file.stopped:
            return None
        return ResumePoint(
            offset=file.chunk_begin,
            chunks=file.chunks,
            plan=self.plan,
            options=self._options,
            file_format=cutter.file_format if cutter else None,
            separator=cutter.separator.decode("utf-8") if cutter else "\n",
            header_end=cutter.header_end if cutter else None,
            head=base64.b64encode(bytes(file.head[:HEAD_BYTES])).decode("ascii"),
            stopped=file.stopped,
        )

    # -- the session's hooks -------------------------------------------------------------------
    def open(self, role: str, key: str, filename: str) -> None:
        if role == "eval" and "train" not in self._files:
            return  # the CSV delimiter's default comes from the data file's name: wait for it
        if role == "train" and self._options.get("csv_delimiter") is None:
            self._options["csv_delimiter"] = default_delimiter(filename)
        self._files[role] = _File(role, key, filename)

    def feed(self, role: str, data: bytes) -> None:
        self._received += len(data)
        file = self._files.get(role)
        if file is None or file.stopped:
            return
        if len(file.head) < MAX_CSV_HEADER_BYTES:
            file.head += data[: MAX_CSV_HEADER_BYTES - len(file.head)]
        if file.cutter is None:  # the format is told by the first bytes
            file.pending += data
            if len(file.pending) < HEAD_BYTES:
                return
            data, file.pending = bytes(file.pending), bytearray()
            self._begin(file, data)
            if file.stopped:
                return
        self._cut(file, data)

    def close(self, role: str) -> None:
        """The file's last byte came: its last chunk (even an empty one, so a CSV header alone
        is still checked) goes out."""
        file = self._files.get(role)
        if file is None or file.stopped:
            return
        if file.cutter is None:
            data, file.pending = bytes(file.pending), bytearray()
            self._begin(file, data)
            if file.stopped:
                return
            self._cut(file, data)
            if file.stopped:
                return
        cutter = file.cutter
        if cutter.file_format == "csv" and cutter.header_end is None:
            self._stop(file)  # no whole header record: planned at the end, like any file
            return
        if cutter.received > file.chunk_begin or file.chunks == 0:
            self._dispatch(file, cutter.received, last=True)

    def abort(self) -> None:
        for file in self._files.values():
            if file.writer is not None:
                file.writer.abort()
                file.writer = None

    # -- the upload's end ----------------------------------------------------------------------
    def check_late_options(self, options: dict[str, Any]) -> None:
        """Refuse validation options that came (as form fields) after chunks were sent."""
        if not self.started:
            return
        late = [
            name
            for name in VALIDATION_OPTIONS
            if options.get(name) != self._options.get(name) and name != "csv_delimiter"
        ]
        if options.get("csv_delimiter") not in (None, self._options.get("csv_delimiter")):
            late.append("csv_delimiter")
        if late:
            raise bad_request(
                f"the option {late[0]!r} came after the file: send validation options in the "
                "query string or as form fields before the file parts"
            )

    def final_plan(self, files: dict[str, StoredFile]) -> dict[str, Any]:
        """The plan with, for each file streaming did not cover, where planning must go on."""
        plan = dict(self.plan)
        plan["rest"] = {
            role: self._covered(role)
            for role in files
            if role not in self._files or self._files[role].stopped
        }
        return plan

    def _covered(self, role: str) -> int:
        file = self._files.get(role)
        return file.chunk_begin if file is not None and file.chunks else 0

    # -- inside ---------------------------------------------------------------------------------
    def _target(self) -> int:
        chunk_bytes = self._stores.settings.chunk_bytes
        if self._expected is None:
            return chunk_bytes
        remaining = max(self._expected - self._received, 0)
        return max(min(chunk_bytes, MIN_STREAM_CHUNK), min(chunk_bytes, remaining // TAIL_SHARE))

    def _begin(self, file: _File, first: bytes) -> None:
        """Pick the file's format from its first bytes and start cutting."""
        separator = self._options.get("text_separator")
        file_format = detect_format(file.filename, first[:HEAD_BYTES], separator)
        if file_format not in self._spec.formats:
            self._stop(file)  # refused at the upload's end, with the reason
            return
        ends = separator if file_format == "txt" and separator else "\n"
        file.cutter = RecordCutter(file_format, ends.encode("utf-8"))

    def _cut(self, file: _File, data: bytes) -> None:
        cutter = file.cutter
        begin = cutter.received
        cuts = cutter.feed(data, self._target())
        if cutter.gave_up:
            self._stop(file)
            return
        if cutter.header_end is not None and file.role not in self.plan["csv_headers"]:
            self._store_header(file)
        for cut in cuts:
            self._write(file, data, begin, cut)
            self._dispatch(file, cut)
            if file.stopped:
                return
        self._write(file, data, begin, begin + len(data))
        self._mark_progress()

    def _stop(self, file: _File) -> None:
        file.stopped = True
        if file.writer is not None:
            file.writer.abort()
            file.writer = None

    def _store_header(self, file: _File) -> None:
        header_end = file.cutter.header_end or 0
        key = chunk_blob_key(self.dataset_id, file.role, "header")
        write_blob(self._stores.blobs, key, bytes(file.head[:header_end]))
        self.plan["csv_headers"][file.role] = header_end
        self.plan["csv_header_keys"][file.role] = key
        file.written_to = file.chunk_begin = header_end

    def _write(self, file: _File, data: bytes, begin: int, until: int) -> None:
        """Append the block's bytes from where the current chunk reaches up to `until`."""
        start = max(file.written_to, begin)
        if until <= start:
            return
        if file.writer is None:
            file.writer = self._stores.blobs.open_writer(self._next_key(file))
        file.writer.write(data[start - begin : until - begin])
        file.written_to = until

    def _next_key(self, file: _File) -> str:
        return chunk_blob_key(self.dataset_id, file.role, f"{len(self.plan['chunks']):05d}")

    def _dispatch(self, file: _File, end: int, last: bool = False) -> None:
        """Send the chunk that ends at `end`. The last one is read from the whole file, whose
        blob is complete by then: its bytes are not stored twice."""
        stored = self._stored_file(file)
        if stored.format != file.cutter.file_format:
            self._stop(file)  # the name said one format, the content another: plan it later
            return
        key: str | None = self._next_key(file)
        if last:
            if file.writer is not None:
                file.writer.abort()
            key = None
        else:
            file.writer = file.writer or self._stores.blobs.open_writer(key)
            file.writer.commit()
        file.writer = None
        chunk = Chunk(len(self.plan["chunks"]), file.role, file.chunk_begin, end, key)
        file.chunks += 1
        file.chunk_begin = end
        self.plan["chunks"].append(chunk.to_dict())
        self._save(file, stored)
        try:
            self._enqueuer.validate_chunk(self.dataset_id, chunk, self._request_id)
        except Exception as exc:  # the queue is unreachable
            raise unavailable() from exc

    def _save(self, file: _File, stored: StoredFile) -> None:
        """Create the record at the first chunk; later, tell it of a new file. The workers need
        the files and the CSV headers; the list of chunks is written once, at the end (written
        at every chunk, it would cost the square of their number)."""
        if self.record is None:
            now = format_timestamp(utc_now())
            self.record = DatasetRecord(
                id=self.dataset_id,
                org=self._org,
                name=self._name,
                dataset_type=self._spec.name,
                status=Status.QUEUED,
                created_at=now,
                updated_at=now,
                options=DatasetOptions.from_dict(self._options),
                files={file.role: stored},
                dry_run=bool(self._options.get("dry_run")),
                receiving=True,
                plan=self._headers_only(),
            )
            self._stores.datasets.create(self.record, None)
            if self._alive_until is not None:  # not abandoned while its upload may go on
                self._stores.datasets.mark_progress(self.dataset_id, self._alive_until)
        elif file.role not in self.record.files:
            self.record.files[file.role] = stored
            files = {role: asdict(f) for role, f in self.record.files.items()}
            plan = self._headers_only()
            self._stores.datasets.transition(self.dataset_id, None, plan=plan, files=files)

    def _headers_only(self) -> dict[str, Any]:
        return {**self.plan, "chunks": []}

    def _stored_file(self, file: _File) -> StoredFile:
        part = "eval_data" if file.role == "eval" else "data"
        head = (file.filename, bytes(file.head[:HEAD_BYTES]), file.cutter.received)
        try:
            file_format = accepted_format(
                self._spec.name,
                self._spec.formats,
                part,
                head,
                self._options.get("text_separator"),
            )
        except FileRefused as exc:
            raise bad_request(str(exc)) from exc
        return StoredFile(file.key, file.cutter.received, file_format, file.filename)

    def _mark_progress(self) -> None:
        now = time.monotonic()
        if self.started and now - self._last_progress > PROGRESS_EVERY_SECONDS:
            self._last_progress = now
            self._stores.datasets.mark_progress(self.dataset_id, self._alive_until)
