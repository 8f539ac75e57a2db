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


class FileRefused(ValueError):
    """A file that can't be validated at all (empty, compressed, a format the type refuses)."""


def refuse_compressed(part: str, head: bytes) -> None:
    """Raise FileRefused if `head`, the first bytes of the `part` file, are compressed."""
    kind = compression_of(strip_bom(head))
    if kind is not None and len(head) >= 4:
        raise FileRefused(f"the {part} file is {kind}-compressed; upload it uncompressed")


def accepted_format(
    dataset_type: str,
    formats: frozenset[str] | set[str] | tuple[str, ...],
    part: str,
    file: tuple[str | None, bytes, int],
    text_separator: str | None,
) -> str:
    """The format of the `part` file (its name, first bytes and size) if `dataset_type`
    accepts it; FileRefused otherwise. The API and `sieve check` both ask this."""
    filename, head, size = file
    if size == 0:
        raise FileRefused(f"the {part} file is empty")
    refuse_compressed(part, head)
    file_format = detect_format(filename, head, text_separator)
    if file_format not in formats:
        raise FileRefused(
            f"{dataset_type} accepts {', '.join(sorted(formats))} files; "
            f"the {part} file is {file_format}"
        )
    return file_format


def default_delimiter(filename: str | None) -> str:
    """The CSV delimiter a file's name implies: a tab for .tsv, else a comma."""
    return "\t" if PurePosixPath(filename or "").suffix.lower() == ".tsv" else ","


def strip_bom(data: bytes) -> bytes:
    return data.removeprefix(UTF8_BOM)


def may_inflate(data: bytes) -> bool:
    """Would polars decompress these bytes? It sniffs the start of whatever buffer it is given
    (after a BOM) for gzip/zlib/zstd magic. A chunk that starts so is never handed to polars,
    whatever its position in the file: every byte that reaches polars is guarded here."""
    return compression_of(strip_bom(data)) is not None
