"""JSONL lines decoded by msgspec against a Struct compiled from the dataset type's fields.

A line the compiled decoder accepts is stored without any Python-level check; one it refuses
(or one a `LineGuard` flags) is read again by the exact path, which words the finding. The
decoder accepts no line the exact path refuses, and stores what the exact path would store:
tests/validators/test_compiled.py compares the two on generated rows of every type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from validators.kinds import FieldKind
from validators.parsing.common import line_count
from validators.shapes import NotCompiled

FieldKinds = tuple[tuple[str, FieldKind], ...]
REFUSED = (msgspec.ValidationError, msgspec.DecodeError, RecursionError)


class RowDecoder:
    """Decodes a line to the stored values of the type's fields, or None (read it exactly)."""

    def __init__(self, field_kinds: FieldKinds) -> None:
        named = [(f"f{i}", name, kind) for i, (name, kind) in enumerate(field_kinds)]
        attrs = {attr: name for attr, name, _ in named}
        fields = [(attr, *kind.decoded_field()) for attr, _, kind in named]
        row = msgspec.defstruct("Row", fields, kw_only=True, rename=attrs, gc=False)
        try:
            self._decode = msgspec.json.Decoder(row).decode
        except TypeError as exc:  # a union msgspec can't tell apart
            raise NotCompiled(str(exc)) from exc
        self._finishers = [(attr, name, kind.finisher()) for attr, name, kind in named]

    def record(self, line: bytes) -> dict[str, Any] | None:
        try:
            row = self._decode(line)
            return {
                name: None if (value := getattr(row, attr)) is None else finish(value)
                for attr, name, finish in self._finishers
            }
        except REFUSED:
            return None


class TextReader:
    """Reads the line's own JSON text of each field stored as text (msgspec skips the rest)."""

    def __init__(self, field_kinds: FieldKinds) -> None:
        self._attrs = {
            f"f{i}": n for i, (n, kind) in enumerate(field_kinds) if kind.stores_json_text
        }
        fields = [(attr, msgspec.Raw, msgspec.Raw()) for attr in self._attrs]
        row = msgspec.defstruct("Texts", fields, rename=self._attrs)
        self._decode = msgspec.json.Decoder(row).decode

    def texts(self, line: bytes) -> dict[str, str] | None:
        """None when msgspec can't read a line json.loads reads (a lone surrogate escape)."""
        if not self._attrs:
            return {}
        try:
            found = self._decode(line)
        except REFUSED:
            return None
        raw = {name: bytes(getattr(found, attr)) for attr, name in self._attrs.items()}
        return {name: text.decode("utf-8") for name, text in raw.items() if text not in _ABSENT}


_ABSENT = (b"", b"null")
_BUILT: dict[tuple[int, type], tuple[FieldKinds, object]] = {}


def row_decoder(field_kinds: FieldKinds) -> RowDecoder | None:
    """The compiled decoder of a type's fields, None where one of them can't be compiled."""
    return _once(RowDecoder, field_kinds)  # type: ignore[return-value]


def text_reader(field_kinds: FieldKinds) -> TextReader:
    return _once(TextReader, field_kinds)  # type: ignore[return-value]


def _once(build: type, field_kinds: FieldKinds) -> object:
    """Built once per process and type's fields (msgspec compiles a decoder when it's made)."""
    known = _BUILT.get((id(field_kinds), build))
    if known is None or known[0] is not field_kinds:
        try:
            built = build(field_kinds)
        except NotCompiled:
            built = None
        known = _BUILT[(id(field_kinds), build)] = (field_kinds, built)
    return known[1]


@dataclass(frozen=True)
class LineGuard:
    """What the compiled decoder does not check, looked for once per chunk and then only in
    the lines that may hold it: bytes that aren't UTF-8 (msgspec skips unknown keys unread), NUL
    bytes, and a kept key given twice (msgspec keeps the last one silently)."""

    bad_utf8: bool
    nul: bool
    repeated: tuple[bytes, ...]  # quoted names of kept keys seen more often than lines

    @classmethod
    def for_chunk(cls, data: bytes, kept_fields: tuple[str, ...]) -> LineGuard:
        lines = line_count(data)
        quoted = [b'"%s"' % name.encode() for name in kept_fields]
        return cls(
            bad_utf8=not _is_utf8(data),
            nul=b"\x00" in data,
            repeated=tuple(name for name in quoted if data.count(name) > lines),
        )

    @property
    def needed(self) -> bool:
        return self.bad_utf8 or self.nul or bool(self.repeated)

    def clean(self, line: bytes) -> bool:
        if self.nul and b"\x00" in line:
            return False
        if any(line.count(name) > 1 for name in self.repeated):
            return False
        return not (self.bad_utf8 and not _is_utf8(line))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
