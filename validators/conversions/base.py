"""Other well-known formats for the same job as a Cohere dataset type, declared as data: how a
row of each is recognised, and how it converts to the Cohere type's row (and back).

`sieve convert` streams a file through one (cli/convert.py); a file uploaded as the Cohere type
but written in the other format is told so once, with the command (validators.verdict).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Row = dict
Converted = tuple[Row, list[str]]  # the row, and what could not be carried over


@dataclass(frozen=True)
class Conversion:
    """Rows of `source` (a format's name) become rows of `target` (a dataset type name or
    another format's name). `looks_like` recognises a source row; `convert` makes the target
    row, naming what it dropped."""

    source: str
    target: str
    description: str
    looks_like: Callable[[Row], bool]
    convert: Callable[[Row], Converted]


def dropped(what: str, where: str) -> str:
    return f"{what} in {where} can't be carried over: dropped"
