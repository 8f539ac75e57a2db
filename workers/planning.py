"""Chunks: record-aligned byte ranges of an uploaded file, each read as spans over its segments.

Cut as the upload streams in (api/streaming.py) or, for what streaming did not cover, here,
after the last byte — with the one cutter (validators/cutting.RecordCutter) either way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from store.blobs import BlobStore
from store.records import StoredFile
from store.segments import SegmentedFile, Span, spans_from
from validators.cutting import MAX_CSV_HEADER_BYTES, RecordCutter


class PlanError(ValueError):
    """The file can't be cut into chunks (e.g. a CSV header that never ends)."""


@dataclass(frozen=True)
class Chunk:
    index: int
    role: str  # "train" | "eval"
    start: int  # file offsets
    end: int
    spans: tuple[Span, ...] = ()  # where bytes [start, end) are stored
    header: tuple[Span, ...] = ()  # a CSV file's header record (empty otherwise)
    cut_short: bool = False  # the file's last chunk read: past it, a record over the limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "role": self.role,
            "start": self.start,
            "end": self.end,
            "spans": [span.to_list() for span in self.spans],
            "header": [span.to_list() for span in self.header],
            "cut_short": self.cut_short,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        values = {**data, "spans": spans_from(data.get("spans") or ())}
        values["header"] = spans_from(data.get("header") or ())
        return cls(**values)


def plan_file(
    blobs: BlobStore,
    role: str,
    file: StoredFile,
    chunk_bytes: int,
    first_index: int,
    start: int = 0,
) -> list[Chunk]:
    """Chunks of one file from `start` (a record boundary past its CSV header, or 0)."""
    stored = SegmentedFile(blobs, file.segments)
    header_end = _csv_header_end(stored, role) if file.format == "csv" else None
    start = max(start, header_end or 0)
    cutter = RecordCutter(
        file.format,
        file.separator.encode("utf-8"),
        received=start,
        chunk_start=start,
        header_end=header_end,
    )
    cuts: list[int] = []
    for block in stored.iter_range(start):
        cuts += cutter.feed(block, chunk_bytes)
        if cutter.gave_up:  # a record over the limit: the file is read up to it only
            break
    end = file.size if cutter.cut_short_at is None else min(cutter.cut_short_at, file.size)
    header = stored.spans(0, header_end) if header_end else ()
    edges = [start, *(cut for cut in cuts if cut < end), end]
    short = end < file.size
    chunks = [
        Chunk(first_index + i, role, begin, stop, stored.spans(begin, stop), header)
        for i, (begin, stop) in enumerate(zip(edges, edges[1:], strict=False))
        if stop > begin or short
    ]
    if short:  # its last chunk says so: the parser reports the record that follows
        chunks[-1] = replace(chunks[-1], cut_short=True)
    # A file with no records (a CSV header alone) still gets one, empty, chunk: its header
    # is checked there, and the chunk set completes so finalize runs.
    return chunks or [Chunk(first_index, role, start, file.size, (), header)]


def _csv_header_end(stored: SegmentedFile, role: str) -> int:
    cutter = RecordCutter("csv")
    for block in stored.iter_range(0, MAX_CSV_HEADER_BYTES):
        cutter.feed(block, stored.size)
        if cutter.header_end is not None:
            return cutter.header_end
    if stored.size <= MAX_CSV_HEADER_BYTES:
        return stored.size  # a header and no rows
    raise PlanError(f"the {role} file: the CSV header does not end within the first 1 MiB")
