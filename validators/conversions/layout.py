"""A JSONL file that is one JSON document instead (an array of rows, or values written over
several lines by a pretty-printer): the commonest way a file is not JSON Lines. Told once for
the file, with the command that rewrites it one value per line."""

from __future__ import annotations

import json

from validators.formats import strip_bom

SAMPLE_BYTES = 1 << 20

ARRAY = "a JSON array"
SPREAD = "JSON written over several lines (pretty-printed)"


def json_layout(data: bytes) -> str | None:
    """ARRAY or SPREAD when the start of a file (`data`) is laid out so, else None (JSON
    Lines, or something that is not JSON at all: its rows' findings say what)."""
    text = strip_bom(data[:SAMPLE_BYTES]).decode("utf-8", errors="replace").lstrip()
    first_line, _, rest = text.partition("\n")
    first_line = first_line.strip()
    if text.startswith("[") and text[1:].lstrip().startswith("{"):  # an array of rows...
        second_line = rest.lstrip().partition("\n")[0].strip()
        lines_of_arrays = second_line and _parses(first_line) and _parses(second_line)
        return None if lines_of_arrays else ARRAY  # ...unless each line is one

    if not first_line.startswith("{") or _parses(first_line):
        return None
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return None
    return SPREAD if "\n" in text[:end] else None


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def layout_reason(layout: str, target: str) -> str:
    return (
        f"{layout}, not JSON Lines (one JSON object per line): rewrite it with "
        f"`sieve convert FILE --to {target}` (the report lists each row)"
    )
