"""An uploaded file as an ordered list of stored segments, written once and never copied.

A POST's bytes are written into segments as the body streams in (sealed where a chunk ends, or
at SEGMENT_BYTES); a resumable upload's parts *are* its segments. A chunk, a CSV header or a
download is a byte range of the file, read as spans over the segments under it (on S3: one
ranged GET per segment touched). The original file is the segments in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from store.blobs import BlobStore, BlobWriter

SEGMENT_BYTES = 64 * 1024 * 1024  # the most one segment of a POST holds


@dataclass(frozen=True)
class Segment:
    key: str
    size: int


@dataclass(frozen=True)
class Span:
    """Bytes [start, end) of blob `key`."""

    key: str
    start: int
    end: int

    def to_list(self) -> list:
        return [self.key, self.start, self.end]


def spans_from(values: Iterable[Sequence]) -> tuple[Span, ...]:
    """Spans as JSON keeps them ([key, start, end] each)."""
    return tuple(Span(str(key), int(start), int(end)) for key, start, end in values)


def read_spans(blobs: BlobStore, spans: Iterable[Span]) -> bytes:
    return b"".join(blobs.read_range(span.key, span.start, span.end) for span in spans)


def iter_spans(blobs: BlobStore, spans: Iterable[Span]) -> Iterator[bytes]:
    for span in spans:
        yield from blobs.iter_range(span.key, span.start, span.end)


class SegmentedFile:
    """Reading a file stored as `segments`, in order, as if it were one blob."""

    def __init__(self, blobs: BlobStore, segments: Sequence[Segment]) -> None:
        self._blobs = blobs
        self.segments = tuple(segments)
        self._ends = list(accumulate(s.size for s in self.segments))

    @property
    def size(self) -> int:
        return self._ends[-1] if self._ends else 0

    def spans(self, start: int, end: int) -> tuple[Span, ...]:
        """The spans that hold bytes [start, end) of the file (which must be stored)."""
        if end > self.size:
            raise ValueError(f"bytes up to {end} asked of a file of {self.size}")
        spans, segment_start = [], 0
        for segment, segment_end in zip(self.segments, self._ends, strict=True):
            lo, hi = max(start, segment_start), min(end, segment_end)
            if lo < hi:
                spans.append(Span(segment.key, lo - segment_start, hi - segment_start))
            segment_start = segment_end
        return tuple(spans)

    def read_range(self, start: int, end: int) -> bytes:
        return read_spans(self._blobs, self.spans(start, min(end, self.size)))

    def iter_range(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        stop = self.size if end is None else min(end, self.size)
        return iter_spans(self._blobs, self.spans(start, stop) if start < stop else ())


class SegmentWriter:
    """Writes a file as it arrives into numbered segments under `prefix`; `seal` commits the
    segment being written, so every byte before the seal is durable and readable."""

    def __init__(self, blobs: BlobStore, prefix: str, segment_bytes: int = SEGMENT_BYTES) -> None:
        self._blobs = blobs
        self._prefix = prefix
        self._segment_bytes = segment_bytes
        self._writer: BlobWriter | None = None
        self._writing = 0  # bytes in the segment being written
        self.sealed: list[Segment] = []
        self.size = 0  # bytes written, sealed or not

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            room = self._segment_bytes - self._writing
            piece, view = view[:room], view[room:]
            if self._writer is None:
                self._writer = self._blobs.open_writer(self._next_key())
            self._writer.write(bytes(piece) if len(piece) < len(data) else data)
            self._writing += len(piece)
            self.size += len(piece)
            if self._writing >= self._segment_bytes:
                self.seal()

    def seal(self) -> None:
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        self.sealed.append(Segment(self._next_key(), self._writing))
        writer.commit()
        self._writing = 0

    def stored(self) -> SegmentedFile:
        """What is durable so far, readable as one file."""
        return SegmentedFile(self._blobs, self.sealed)

    def abort(self) -> None:
        """Drop the segment being written (the sealed ones go with their dataset's folder)."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def _next_key(self) -> str:
        return f"{self._prefix}/{len(self.sealed):05d}"
