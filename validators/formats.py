"""What kind of file an upload is: JSONL, CSV or text — and refusing compressed bytes.

polars decompresses gzip/zlib/zstd by magic bytes whatever the file name, so a tiny "csv" can
expand to gigabytes; uploads are sniffed and compressed input is refused outright.
"""

from __future__ import annotations

from pathlib import PurePosixPath

UTF8_BOM = b"\xef\xbb\xbf"

_COMPRESSION_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x78\x01", "zlib"),
    (b"\x78\x5e", "zlib"),
    (b"\x78\x9c", "zlib"),
    (b"\x78\xda", "zlib"),
)

_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "txt",
}


def compression_of(head: bytes) -> str | None:
    """The compression format `head` (the first bytes of a file) starts with, if any."""
    for magic, name in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            return name
    return None


def detect_format(filename: str | None, head: bytes, text_separator: str | None = None) -> str:
    """jsonl, csv or txt: from the extension, else from the content (the SDK names in-memory
    uploads a bare `upload`)."""
    suffix = PurePosixPath(filename or "").suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if text_separator:
        return "txt"
    first = head.removeprefix(UTF8_BOM).lstrip()
    return "jsonl" if first.startswith((b"{", b"[")) else "csv"


def strip_bom(data: bytes) -> bytes:
    return data.removeprefix(UTF8_BOM)
