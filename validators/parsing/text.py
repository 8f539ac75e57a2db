"""Plain-text chunks: one row per piece between separators, as the `text` field."""

from __future__ import annotations

from validators.findings import Finding
from validators.parsing.common import ParsedChunk, ParseOptions, frame_from_rows


def parse_text(data: bytes, options: ParseOptions) -> ParsedChunk:
    separator = options.separator.encode("utf-8")
    pieces = data.split(separator)
    if pieces and pieces[-1] in (b"", b"\r"):
        pieces.pop()
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
    return ParsedChunk(
        frame_from_rows(rows, numbers, options), len(pieces), findings, columns=("text",)
    )
