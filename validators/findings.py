"""A problem found in one row (or a whole file), worded so a user can act on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from validators.shapes import Problem


@dataclass(frozen=True, order=True)
class Finding:
    row: int  # 1-based line (JSONL, text) or record after the header (CSV); 0 = whole file
    field: str | None
    reason: str
    rule: str

    def message(self, file_role: str) -> str:
        where = f"row {self.row} of the {file_role} file" if self.row else f"the {file_role} file"
        what = f"field '{self.field}' {self.reason}" if self.field else self.reason
        return f"{where}: {what}"

    def shifted(self, offset: int) -> Finding:
        return Finding(self.row + offset if self.row else 0, self.field, self.reason, self.rule)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**data)


def field_finding(row: int, name: str, problem: Problem) -> Finding:
    """A shape or type problem of field `name`, named by its path (`body.messages[2].role`)
    under the rule code with the indices left out (`body.messages[].role|one_of`)."""
    return Finding(
        row, name + problem.path, problem.reason, f"{name}{problem.generic}|{problem.check}"
    )
