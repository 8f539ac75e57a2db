"""A problem found in one row (or a whole file), worded so a user can act on it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

import polars as pl

from validators.shapes import Problem


@dataclass(frozen=True, order=True)
class Finding:
    row: int  # 1-based line (JSONL, text) or record after the header (CSV); 0 = whole file
    field: str | None
    reason: str
    rule: str
    excerpt: str | None = field(default=None, compare=False)  # the offending value, short

    def message(self, file_role: str) -> str:
        where = f"row {self.row} of the {file_role} file" if self.row else f"the {file_role} file"
        what = f"field '{self.field}' {self.reason}" if self.field else self.reason
        return f"{where}: {what}"

    def shifted(self, offset: int) -> Finding:
        return replace(self, row=self.row + offset if self.row else 0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**data)


def message_expr(file_role: str) -> pl.Expr:
    """`Finding.message` over columns row, field and reason (the full report's rows)."""
    where = (
        pl.when(pl.col("row") > 0)
        .then(pl.format(f"row {{}} of the {file_role} file", pl.col("row")))
        .otherwise(pl.lit(f"the {file_role} file"))
    )
    what = (
        pl.when(pl.col("field").is_not_null())
        .then(pl.format("field '{}' {}", pl.col("field"), pl.col("reason")))
        .otherwise(pl.col("reason"))
    )
    return pl.format("{}: {}", where, what)


EXCERPT_CHARS = 120
MAX_MESSAGE_CHARS = 1000  # a message or warning, whatever values it quotes
SHOWN_CHARS = 300  # a label or a sample text shown in a dataset's metrics


def bounded(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text`, or its beginning and end with how much was left out between: a message stays
    readable (its advice is at the end) and a dataset object small, whatever the data."""
    if len(text) <= limit:
        return text
    tail = limit // 4
    head = limit - tail
    return f"{text[:head]} … [{len(text) - head - tail} characters left out] … {text[-tail:]}"


def excerpt(value: object) -> str:
    """A short excerpt of a value as the file had it: the text itself, or its JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:EXCERPT_CHARS]


def field_finding(row: int, name: str, problem: Problem, value: object = None) -> Finding:
    """A shape or type problem of field `name`, named by its path (`body.messages[2].role`)
    under the rule code with the indices left out (`body.messages[].role|one_of`)."""
    code = f"{name}{problem.generic}|{problem.check}"
    shown = None if value is None else excerpt(value)
    return Finding(row, name + problem.path, problem.reason, code, shown)
