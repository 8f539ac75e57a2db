"""At least so many valid examples in each file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from validators.rules.base import DatasetRule, file_of, plural

if TYPE_CHECKING:
    from validators.report import FileReport


@dataclass(frozen=True)
class MinExamples(DatasetRule):
    """At least `train` valid train examples (`with_eval` when eval data is given) and at
    least `eval` valid eval examples when eval data is given."""

    train: int
    with_eval: int | None = None
    eval: int = 0
    code = "dataset|min_examples"

    def rows_needed(self, role: str) -> int:
        return self.train if role == "train" else max(self.eval, 1)

    def problems(
        self, type_name: str, files: list[FileReport], row_errors: bool = False
    ) -> list[str]:
        """With rows that fail the dataset, only a file too short even with them fixed."""
        has_eval = file_of(files, "eval") is not None
        train = self.with_eval if has_eval and self.with_eval is not None else self.train
        needed = {"train": train, "eval": max(self.eval, 1)}
        if row_errors:
            return [
                f"the {r.role} file has {plural(r.rows_seen, 'row')}; "
                f"{type_name} needs at least {needed[r.role]} valid examples"
                for r in sorted(files, key=lambda r: r.role != "train")
                if r.rows_seen < needed[r.role]
            ]
        return [
            f"the {r.role} file has {plural(r.rows_valid, 'valid example')}; "
            f"{type_name} needs at least {needed[r.role]}"
            for r in sorted(files, key=lambda r: r.role != "train")
            if r.rows_valid < needed[r.role]
        ]

    def describe(self) -> str:
        text = f"at least {self.train} valid train example{'s' if self.train != 1 else ''}"
        if self.with_eval is not None:
            text += f" ({self.with_eval} when eval data is given)"
        return text + (f", and at least {self.eval} in the eval file" if self.eval else "")
