"""Plain-text chunks: one row per piece between separators, as the `text` field."""

from __future__ import annotations

from validators.findings import Finding
from validators.parsing.common import ParsedChunk, ParseOptions, frame_from_rows


def parse_text(data: bytes, options: ParseOptions) -> ParsedChunk:
    separator = options.separator.encode("utf-8")
    pieces = data.split(separator)
    if pieces and pieces[-1] in (b"", b"\r"):
        pieces.pop()
    elif pieces and separator not in (b"\n", b"\r\n"):  # the file's last line end: no text
        pieces[-1] = pieces[-1].removesuffix(b"\n").removesuffix(b"\r")
    rows, numbers, findings = [], [], []
    for number, piece in enumerate(pieces, start=1):
        try:
            text = piece.removesuffix(b"\r").decode("utf-8")
        except UnicodeDecodeError as exc:
            findings.append(
                Finding(number, None, f"is not valid UTF-8 (byte {exc.start + 1})", "row|utf8")
            )
            continue
        if "\x00" in text:  # e.g. UTF-16 without a BOM: ASCII with a NUL after each letter
            findings.append(Finding(number, None, "contains a NUL byte", "row|no_nul"))
            continue
        rows.append({"text": text})
        numbers.append(number)
    lines = None if separator == b"\n" else lambda: _starting_lines(pieces, separator)
    return ParsedChunk(
        frame_from_rows(rows, numbers, options), len(pieces), findings, ("text",), lines
    )


def _starting_lines(pieces: list[bytes], separator: bytes) -> list[int]:
    """The line each piece starts on (1-based), the separator between them."""
    starts, line, between = [], 1, separator.count(b"\n")
    for piece in pieces:
        starts.append(line)
        line += piece.count(b"\n") + between
    return starts
