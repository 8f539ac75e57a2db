"""What kind of file an upload is: JSONL, CSV or text — and refusing compressed bytes and text
that is not UTF-8 from its first bytes on (UTF-16, UTF-32).

polars decompresses gzip/zlib/zstd by magic bytes whatever the file name, so a tiny "csv" can
expand to gigabytes; uploads are sniffed and compressed input is refused outright.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from validators.binary_files import ZIP, ZIP_NAMES_BYTES, binary_file_of

UTF8_BOM = b"\xef\xbb\xbf"

_COMPRESSION_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (ZIP, "zip"),
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


def record_separator(file_format: str, text_separator: str | None, head: bytes) -> str:
    """What ends a record of a file: a newline, or a text file's separator, whose line feeds
    are the file's own line ends, so that '\n\n' parts the paragraphs of a file saved on
    Windows (CRLF) too. `head`: the file's first bytes."""
    if file_format != "txt" or not text_separator:
        return "\n"
    first = head.find(b"\n")
    windows = first > 0 and head[first - 1 : first] == b"\r"
    if windows and "\n" in text_separator and "\r" not in text_separator:
        return text_separator.replace("\n", "\r\n")
    return text_separator


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


def refuse_unreadable(part: str, head: bytes, whole: bool = True) -> None:
    """Raise FileRefused if `head`, the first bytes of the `part` file, are a binary file
    (validators/binary_files.py), compressed, or text in UTF-16 or UTF-32 (a file that is not
    UTF-8 from its first bytes on). `whole`: the head is all the first bytes there will be
    (else, while an upload arrives, a zip is told only once its first entries' names are in)."""
    binary = binary_file_of(head)
    if binary is not None:
        raise FileRefused(binary.reason(part))
    kind = compression_of(strip_bom(head))
    if kind == "zip" and not whole and len(head) < ZIP_NAMES_BYTES:
        return  # maybe an Office file
    if kind is not None and len(head) >= 4:
        raise FileRefused(f"the {part} file is {kind}-compressed; upload it uncompressed")
    encoding = wide_encoding_of(head)
    if encoding is not None:
        raise FileRefused(f"the {part} file is {encoding}, not UTF-8; {save_as_utf8(encoding)}")


def save_as_utf8(encoding: str, dataset_type: str = "TYPE") -> str:
    """What to do with a file in `encoding` (as named to the user, 'UTF-16LE (with a BOM)')."""
    return (
        'save it as UTF-8 (Excel: Save As, "CSV UTF-8"), or re-encode it: '
        f"sieve convert FILE --to {dataset_type}, or iconv -f {encoding.split(' ')[0]} -t UTF-8"
    )


_BOMS = (  # longest first: UTF-32 LE's BOM begins with UTF-16 LE's
    (b"\xff\xfe\x00\x00", "UTF-32LE (with a BOM)"),
    (b"\x00\x00\xfe\xff", "UTF-32BE (with a BOM)"),
    (b"\xff\xfe", "UTF-16LE (with a BOM)"),
    (b"\xfe\xff", "UTF-16BE (with a BOM)"),
)
# Which byte positions (mod 4) are zero in mostly-ASCII text of each wide encoding.
_ZERO_POSITIONS = {
    "UTF-32LE": (1, 2, 3),
    "UTF-32BE": (0, 1, 2),
    "UTF-16LE": (1, 3),
    "UTF-16BE": (0, 2),
}
SNIFF_BYTES = 64  # the least of a head worth judging without a BOM


def wide_encoding_of(head: bytes) -> str | None:
    """UTF-16 or UTF-32, by its BOM, or without one by where the zero bytes fall (text that
    is mostly ASCII, as data files are: every other byte zero, or three in four)."""
    if len(head) < 4:
        return None
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[: 4096 - 4096 % 4]
    if len(sample) < SNIFF_BYTES or b"\x00" not in sample:
        return None
    quarter = len(sample) // 4
    zeros = [sample[i::4].count(0) / quarter for i in range(4)]
    for name, positions in _ZERO_POSITIONS.items():
        others = [zeros[i] for i in range(4) if i not in positions]
        if min(zeros[i] for i in positions) > 0.7 and max(others) < 0.3:
            return name
    return None


def accepted_layout(
    dataset_type: str,
    formats: frozenset[str] | set[str] | tuple[str, ...],
    part: str,
    file: tuple[str | None, bytes, int],
    text_separator: str | None,
) -> tuple[str, str]:
    """The format of the `part` file (its name, first bytes and size) if `dataset_type`
    accepts it, and what ends its records (`record_separator`); FileRefused otherwise. How
    the API and `sieve check` both record a file they accept."""
    filename, head, size = file
    if size == 0:
        raise FileRefused(f"the {part} file is empty")
    refuse_unreadable(part, head)
    file_format = detect_format(filename, head, text_separator)
    if file_format not in formats:
        raise FileRefused(
            f"{dataset_type} accepts {', '.join(sorted(formats))} files; "
            f"the {part} file is {file_format}"
        )
    return file_format, record_separator(file_format, text_separator, head)


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
