"""Validate while the bytes arrive: cut each uploaded file into record-aligned chunks as it
streams in and send each to the workers as soon as the segments under it are stored.

Every byte is written once, into the file's segments (store/segments.py): a POST's sink writes
them and seals one where a chunk ends; a resumable upload's parts are stored already. A chunk is
a byte range with the spans that hold it.

The dataset's record exists from the first chunk on, marked `receiving`: not listed, not
finalized, started by the upload's end (which plans whatever streaming left). If the upload
fails, the session removes the record with everything its chunks produced; if the web process
dies, beat's sweep does (workers/redrive). Chunks get smaller towards the end of the body (its
size is known), so the work left after the last byte is short.
"""

from __future__ import annotations

import base64
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from api.errors import bad_request, unavailable
from store import Stores
from store.datasets import format_timestamp, utc_now
from store.records import CreateOptions, DatasetRecord, StoredFile
from store.segments import Segment, SegmentedFile
from validators.cutting import MAX_CSV_HEADER_BYTES, RecordCutter
from validators.formats import (
    FileRefused,
    accepted_layout,
    default_delimiter,
    detect_format,
    record_separator,
)
from validators.registry import spec_for
from workers.enqueue import Enqueuer
from workers.planning import Chunk

MIN_STREAM_CHUNK = 4 * 1024 * 1024
HEAD_BYTES = 64 * 1024  # enough to tell a file's format (validators.formats)
TAIL_SHARE = 4  # near the end, a chunk is at most this fraction of the bytes still to come
PROGRESS_EVERY_SECONDS = 5.0


class Sink(Protocol):
    """Where a file's bytes are stored: `write` them in order, `seal` makes all written so far
    durable, `stored` reads what is durable."""

    def write(self, data: bytes) -> None: ...
    def seal(self) -> None: ...
    def stored(self) -> SegmentedFile: ...


@dataclass
class _File:
    """One file of the upload, as it is being cut."""

    role: str
    sink: Sink
    filename: str
    cutter: RecordCutter | None = None  # once its format is known from its first bytes
    head: bytearray = field(default_factory=bytearray)  # first bytes: format, CSV header
    pending: bytearray = field(default_factory=bytearray)  # held until the format is known
    chunk_begin: int = 0  # where the current chunk begins
    chunks: int = 0
    stopped: bool = False  # not cut here (planned after the upload's end instead)


@dataclass
class ResumePoint:
    """Where the streamed validation of a file stopped, so that another request (or another
    web process) goes on from there: a record boundary just past the last chunk sent. What
    follows it was not sent, and is fed again."""

    offset: int
    chunks: int  # sent so far
    plan: dict[str, Any]  # the streamer's plan: chunks sent, where CSV headers end
    options: dict[str, Any]  # CreateOptions.to_dict, the CSV delimiter's default filled in
    file_format: str | None = None  # None: not yet known (too few bytes seen)
    separator: str = "\n"
    header_end: int | None = None
    head: str = ""  # base64 of the file's first bytes (HEAD_BYTES): its format check
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stored_file(
    create: CreateOptions,
    role: str,
    head: tuple[str, bytes, int],  # its name, first bytes and size
    segments: tuple[Segment, ...],
) -> StoredFile:
    """An uploaded file as the record keeps it, if its type accepts it; 400 saying why not."""
    spec = spec_for(create.dataset_type)
    part = "eval_data" if role == "eval" else "data"
    separator = create.dataset.text_separator
    try:
        file_format, separator = accepted_layout(spec.name, spec.formats, part, head, separator)
    except FileRefused as exc:
        raise bad_request(str(exc)) from exc
    return StoredFile(segments, head[2], file_format, head[0], separator)


class ChunkStreamer:
    """Feeds each file's bytes, in file order, to its sink, and cuts and sends chunks when the
    dataset's type and options are known (`spec`); without them it only stores the bytes, and
    the workers plan every chunk after the last byte."""

    def __init__(
        self,
        stores: Stores,
        enqueuer: Enqueuer,
        identity: tuple[str, str],  # dataset id, org
        create: CreateOptions | None,  # None: the query did not say the name and type
        expected_bytes: int | None,
        request_id: str,
        alive_until: float | None = None,
    ) -> None:
        self._stores = stores
        self._alive_until = alive_until  # a resumable upload: its record lives till it expires
        self._enqueuer = enqueuer
        self.dataset_id, self._org = identity
        self._create = create
        self._spec = spec_for(create.dataset_type) if create else None
        self._expected = expected_bytes
        self._request_id = request_id
        self._files: dict[str, _File] = {}
        self._received = 0
        self._last_progress = 0.0
        self.plan: dict[str, Any] = {"chunks": [], "csv_headers": {}, "rest": {}}
        self.record: DatasetRecord | None = None

    @property
    def started(self) -> bool:
        return self.record is not None

    # -- going on elsewhere (resumable uploads) ---------------------------------------------
    def resume(self, role: str, sink: Sink, filename: str, point: ResumePoint | None) -> int:
        """Take up the file where `point` says; returns the offset whose bytes come next."""
        self.open(role, sink, filename)
        if point is None:
            return 0
        file = self._files[role]
        self._create = CreateOptions.from_dict(point.options)
        self.plan = dict(point.plan)
        file.chunks, file.stopped = point.chunks, point.stopped
        file.chunk_begin = self._received = point.offset
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
        """Stop where the last chunk ended (the bytes after it are fed again on resuming);
        None when nothing is known yet, not even the format."""
        file = self._files.get(role)
        if file is None:
            return None
        cutter = file.cutter
        if cutter is None and not file.stopped:
            return None
        return ResumePoint(
            offset=file.chunk_begin,
            chunks=file.chunks,
            plan=self.plan,
            options=self._create.to_dict(),
            file_format=cutter.file_format if cutter else None,
            separator=cutter.separator.decode("utf-8") if cutter else "\n",
            header_end=cutter.header_end if cutter else None,
            head=base64.b64encode(bytes(file.head[:HEAD_BYTES])).decode("ascii"),
            stopped=file.stopped,
        )

    # -- the session's hooks -------------------------------------------------------------------
    def open(self, role: str, sink: Sink, filename: str) -> None:
        if role == "train" and self._create is not None:
            dataset = self._create.dataset.with_default_delimiter(default_delimiter(filename))
            self._create = replace(self._create, dataset=dataset)
        # eval before train: the CSV delimiter's default comes from the data file's name
        stopped = self._spec is None or (role == "eval" and "train" not in self._files)
        self._files[role] = _File(role, sink, filename, stopped=stopped)

    def feed(self, role: str, data: bytes) -> None:
        """Store the file's next bytes; cut and send the chunks they complete."""
        self._received += len(data)
        file = self._files[role]
        if file.stopped:
            file.sink.write(data)
            return
        if len(file.head) < MAX_CSV_HEADER_BYTES:
            file.head += data[: MAX_CSV_HEADER_BYTES - len(file.head)]
        if file.cutter is None:  # the format is told by the first bytes
            file.pending += data
            if len(file.pending) < HEAD_BYTES:
                return
            data, file.pending = bytes(file.pending), bytearray()
            self._begin(file, data)
        self._cut(file, data)

    def close(self, role: str) -> None:
        """The file's last byte came: what is held is stored, and its last chunk (even an empty
        one, so a CSV header alone is still checked) goes out."""
        file = self._files[role]
        if file.pending:
            data, file.pending = bytes(file.pending), bytearray()
            if not file.stopped:
                self._begin(file, data)
            self._cut(file, data)
        file.sink.seal()
        if file.stopped:
            return
        if file.cutter is None:
            self._begin(file, b"")
            if file.stopped:
                return
        cutter = file.cutter
        if cutter.file_format == "csv" and cutter.header_end is None:
            file.stopped = True  # no whole header record: planned at the end, like any file
            return
        if cutter.received > file.chunk_begin or file.chunks == 0:
            self._dispatch(file, cutter.received)

    # -- the upload's end ----------------------------------------------------------------------
    def check_late_options(self, create: CreateOptions) -> None:
        """Refuse validation options that came (as form fields) after chunks were sent."""
        if not self.started:
            return
        late = self._create.dataset.validation_changes(create.dataset)
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

    def segments(self, role: str) -> tuple[Segment, ...]:
        return self._files[role].sink.stored().segments

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
        separator = self._create.dataset.text_separator
        file_format = detect_format(file.filename, first[:HEAD_BYTES], separator)
        if file_format not in self._spec.formats:
            file.stopped = True  # refused at the upload's end, with the reason
            return
        separator = record_separator(file_format, separator, first[:HEAD_BYTES])
        file.cutter = RecordCutter(file_format, separator.encode("utf-8"))

    def _cut(self, file: _File, data: bytes) -> None:
        """Store `data`, sealing the sink where each chunk it completes ends, and send them."""
        if file.stopped:
            file.sink.write(data)
            return
        cutter = file.cutter
        begin = cutter.received
        cuts = cutter.feed(data, self._target())
        if cutter.gave_up:
            file.stopped = True
        if cutter.header_end is not None and file.role not in self.plan["csv_headers"]:
            self.plan["csv_headers"][file.role] = file.chunk_begin = cutter.header_end
        written = 0
        for cut in cuts if not file.stopped else ():
            file.sink.write(data[written : cut - begin])
            written = cut - begin
            self._dispatch(file, cut)
        file.sink.write(data[written:] if written else data)
        self._mark_progress()

    def _dispatch(self, file: _File, end: int) -> None:
        """Send the chunk that ends at `end`, once the bytes before it are stored."""
        if file.stopped:
            return
        stored = self._stored_file(file)
        if stored.format != file.cutter.file_format:
            file.stopped = True  # the name said one format, the content another: plan it later
            return
        file.sink.seal()
        durable = file.sink.stored()
        header_end = self.plan["csv_headers"].get(file.role)
        chunk = Chunk(
            len(self.plan["chunks"]),
            file.role,
            file.chunk_begin,
            end,
            durable.spans(file.chunk_begin, end),
            durable.spans(0, header_end) if header_end else (),
        )
        file.chunks += 1
        file.chunk_begin = end
        self.plan["chunks"].append(chunk.to_dict())
        self._save(file, stored)
        try:
            self._enqueuer.validate_chunk(self.dataset_id, chunk, self._request_id)
        except Exception as exc:  # the queue is unreachable
            raise unavailable() from exc

    def _save(self, file: _File, stored: StoredFile) -> None:
        """Create the record at the first chunk; later, tell it of a new file. The list of
        chunks is written once, at the end (written at every chunk, it would cost the square
        of their number): the workers need only the chunks' own messages."""
        if self.record is None:
            self.record = DatasetRecord.new(
                self.dataset_id,
                self._org,
                self._create,
                {file.role: stored},
                format_timestamp(utc_now()),
                receiving=True,
                plan=self._headers_only(),
            )
            self._stores.datasets.create(self.record, None)
            if self._alive_until is not None:  # not abandoned while its upload may go on
                self._stores.datasets.mark_progress(self.dataset_id, self._alive_until)
        elif file.role not in self.record.files:
            self.record.files[file.role] = stored
            files = {role: f.to_dict() for role, f in self.record.files.items()}
            plan = self._headers_only()
            self._stores.datasets.transition(self.dataset_id, None, plan=plan, files=files)

    def _headers_only(self) -> dict[str, Any]:
        return {**self.plan, "chunks": []}

    def _stored_file(self, file: _File) -> StoredFile:
        head = (file.filename, bytes(file.head[:HEAD_BYTES]), file.cutter.received)
        return stored_file(self._create, file.role, head, file.sink.stored().segments)

    def _mark_progress(self) -> None:
        now = time.monotonic()
        if self.started and now - self._last_progress > PROGRESS_EVERY_SECONDS:
            self._last_progress = now
            self._stores.datasets.mark_progress(self.dataset_id, self._alive_until)
