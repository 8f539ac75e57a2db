"""What every field kind owns (`FieldKind`), and helpers the kinds share."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable

import msgspec
import polars as pl

from validators.shapes import NotCompiled, Problem, Rules

# Raw JSON that *may* hold a value of the wrong type for a kind. A match only sends the chunk
# down the exact (row by row) path; polars alone would coerce e.g. 5 into "5".
NOT_A_STRING = r'"{name}"\s*:\s*[^"\s]'


def suspect(pattern: str, name: str) -> re.Pattern[bytes]:
    return re.compile(pattern.replace("{name}", re.escape(name)).encode("utf-8"))


class FieldKind(ABC):
    name: str  # also the check name of its type rule: "text|string"
    dtype: pl.DataType
    fast_path = True  # polars may read the column directly when its dtype is trusted
    stores_json_text = False  # stored as the line's own JSON text of the value
    # polars' reading is trusted once msgspec checked the values (validators.parsing.compiled
    # TypeGate), not after `suspect_patterns`: for lists and numbers they cost more than that
    gated = False

    @abstractmethod
    def avro_type(self) -> object: ...

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def problem(self, value: object) -> Problem | None:
        """Why a non-null JSON value can't be this kind, or None."""

    def suspect_patterns(self, name: str) -> list[re.Pattern[bytes]]:
        return [suspect(NOT_A_STRING, name)]

    def accepts_dtype(self, dtype: pl.DataType | None) -> bool:
        """Whether a column polars inferred can be trusted to hold this kind."""
        return dtype is None or dtype == pl.Null or dtype == self.dtype

    def accepts_column(self, column: pl.Series) -> bool:
        """Whether polars' values can be trusted to be what the exact path reads."""
        return True

    def as_declared(self, name: str, read: pl.DataType | None = None) -> pl.Expr:
        """The column as polars read it (`read`: its dtype) cast to the declared dtype."""
        return pl.col(name).cast(self.dtype).alias(name)

    def narrowed(self, name: str) -> pl.Expr | None:
        """The column as stored, when the rules read more of it than is kept (None: as read)."""
        return None

    def read_dtype(self, first_read: pl.Series | None = None) -> pl.DataType:
        """The dtype polars reads the JSONL values with (then `as_declared`): at first (None),
        and again after `first_read`, when what was read calls for more."""
        return self.dtype

    def normalised(self, value: object) -> object:
        return value

    def decoded_type(self) -> object:
        """The msgspec type of a non-null value (validators.shapes explains the contract)."""
        raise NotCompiled(self.name)

    def decoded_field(self) -> tuple[object, object]:
        """This field's msgspec type and default in a row's Struct: absent and null are None."""
        return self.decoded_type() | None, None

    def finisher(self) -> Callable[[list], list]:
        """From a column of decoded values (None: absent or null) to the stored ones, as
        `normalised` stores the same JSON; it raises msgspec.ValidationError where a second
        check refuses a value."""
        return _as_is

    def from_csv_cell(self, cell: str) -> tuple[object, Problem | None]:
        return cell, None

    def example(self, seed: str) -> object:
        """A valid value of the kind (row rules may ask more of it)."""
        return seed

    def type_problem(self, reason: str) -> Problem:
        return Problem("", "", self.name, reason)

    def rules(self) -> Rules:
        yield f"|{self.name}", f"is {self.describe()}", f"must be {self.describe()}, got ..."


def raw_given(raw: msgspec.Raw) -> bool:
    """Whether a decoded Raw holds a value: not Raw() (the key absent) nor `null`."""
    return bool(raw) and not (len(raw) == 4 and bytes(raw) == b"null")


def _as_is(column: list) -> list:
    return column
