"""Conversions from other well-known formats to a Cohere dataset type's rows (and back)."""

import json

from validators.conversions import batch, chat
from validators.conversions.base import Conversion
from validators.conversions.layout import json_layout, layout_reason
from validators.findings import Finding

OTHER_FORMAT = "file|other_format"
SAMPLE_LINES = 50

CONVERSIONS: tuple[Conversion, ...] = (*chat.CONVERSIONS, *batch.CONVERSIONS)


def conversions_to(target: str) -> list[Conversion]:
    return [c for c in CONVERSIONS if c.target == target]


def recognised(target: str, rows: list[dict]) -> Conversion | None:
    """The other format most of these rows are in, for a file declared as `target`: a
    conversion to `target` whose rows they look like (and a majority of them)."""
    for conversion in conversions_to(target):
        if rows and sum(map(conversion.looks_like, rows)) * 2 > len(rows):
            return conversion
    return None


def other_format_finding(target: str, data: bytes) -> Finding | None:
    """A file-level finding when the start of a file declared as `target` is one JSON
    document rather than JSON Lines, or its first lines are in another format that converts
    to it (the verdict then says so once, not per row)."""
    layout = json_layout(data)
    if layout is not None:
        return Finding(0, None, layout_reason(layout, target), OTHER_FORMAT)
    if not conversions_to(target):
        return None
    rows = []
    for line in data[: 1 << 20].split(b"\n")[:SAMPLE_LINES]:
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # the row's own finding says what is wrong
            continue
        if isinstance(row, dict):
            rows.append(row)
    conversion = recognised(target, rows)
    if conversion is None:
        return None
    reason = (
        f"looks like {conversion.description}, not {target}: convert it with "
        f"`sieve convert FILE --to {target}` (the report lists each row)"
    )
    return Finding(0, None, reason, OTHER_FORMAT)


__all__ = [
    "CONVERSIONS",
    "OTHER_FORMAT",
    "Conversion",
    "conversions_to",
    "other_format_finding",
    "recognised",
]
