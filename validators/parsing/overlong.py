"""A record longer than the cutter's limit (validators.cutting.MAX_RECORD_BYTES): the file is
read up to it and no further, and the finding says what most likely made it so long."""

from __future__ import annotations

from validators.cutting import MAX_RECORD_BYTES
from validators.parsing.common import ParseOptions

TOO_LONG_CODE = "row|too_long"
LIMIT = f"{MAX_RECORD_BYTES >> 20} MiB"
# The catalog's entry: (code, what it checks, the message's start).
TOO_LONG = (
    TOO_LONG_CODE,
    f"a row is at most {LIMIT} (past one that never ends, the file is read no further)",
    f"is longer than {LIMIT}",
)

_LIKELY = {
    "jsonl": "is the file one JSON array or document? JSONL is one JSON object per line; "
    "sieve convert FILE --to TYPE rewrites it so",
    "csv": "is a quote left open? a quoted field runs over line ends to the next quote",
}


def row_too_long(options: ParseOptions, last_read: bool = True) -> tuple[str, str]:
    """The finding's message and rule code for a row over the limit; `last_read`: the file
    is read no further (else: a CSV field over the limit, in a row that ended)."""
    if options.format == "txt":
        likely = f"is the text separator {options.separator!r} in the file?"
    else:
        likely = _LIKELY[options.format]
    reason = f"is longer than {LIMIT}, the most a row may be"
    if last_read:
        reason += ", so the file is read no further"
    return f"{reason} ({likely})", TOO_LONG_CODE
