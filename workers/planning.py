"""Cut each uploaded file into byte-range chunks at record boundaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from store.blobs import BlobStore
from store.records import StoredFile
from validators.boundaries import csv_boundaries, csv_header_end, separator_boundaries

MAX_CSV_HEADER_BYTES = 1024 * 1024


class PlanError(ValueError):
    """The file can't be cut into chunks (e.g. a CSV header that never ends)."""


@dataclass(frozen=True)
class Chunk:
    index: int
    role: str  # "train" | "eval"
    start: int  # file offsets
    end: int
    key: str | None = None  # a blob holding just these bytes (cut while the upload streamed)

    def to_dict(self) -> dict:
        return asdict(self)


def plan_file(
    blobs: BlobStore,
    role: str,
    file: StoredFile,
    chunk_bytes: int,
    separator: str,
    first_index: int,
    start: int | None = None,
) -> tuple[list[Chunk], int]:
    """Chunks of one file (from `start`, else from its first record) and, for CSV, where its
    header ends (0 otherwise)."""
    key, size = file.key, file.size
    header_end = 0
    if file.format == "csv":
        header_end = _csv_header_end(blobs, key, size, role)
    start = header_end if start is None else max(start, header_end)
    if file.format == "csv":
        cuts = (
            csv_boundaries(blobs.iter_range(key), start, chunk_bytes)
            if size - start > chunk_bytes
            else []
        )
    else:
        sep = b"\n" if file.format == "jsonl" else separator.encode("utf-8")
        cuts = separator_boundaries(
            lambda a, b: blobs.read_range(key, a, b), size, start, chunk_bytes, sep
        )
    edges = [start, *cuts, size]
    chunks = [
        Chunk(first_index + i, role, begin, end)
        for i, (begin, end) in enumerate(zip(edges, edges[1:], strict=False))
        if end > begin
    ]
    # A file with no records (a CSV header alone) still gets one, empty, chunk: its header
    # is checked there, and the chunk set completes so finalize runs.
    return chunks or [Chunk(first_index, role, start, size)], header_end


def _csv_header_end(blobs: BlobStore, key: str, size: int, role: str) -> int:
    head = blobs.read_range(key, 0, min(size, MAX_CSV_HEADER_BYTES))
    end = csv_header_end(head)
    if end is not None:
        return end
    if size <= MAX_CSV_HEADER_BYTES:
        return size  # a header and no rows
    raise PlanError(f"the {role} file: the CSV header does not end within the first 1 MiB")
