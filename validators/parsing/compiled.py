"""JSONL lines decoded by msgspec against a Struct compiled from the dataset type's fields.

A line the compiled decoder accepts is stored without any Python-level check; one it refuses
(or one that may hold what it does not check: see `compiled_records`) is read again by the
exact path, which words the finding. The
decoder accepts no line the exact path refuses, and stores what the exact path would store:
tests/validators/test_compiled.py compares the two on generated rows of every type.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import msgspec

from validators.kinds import FieldKind, raw_given
from validators.shapes import NotCompiled

FieldKinds = tuple[tuple[str, FieldKind], ...]
REFUSED = (msgspec.ValidationError, msgspec.DecodeError, RecursionError)


class RowDecoder:
    """Decodes lines to the stored values of the type's fields; None for a line it refuses
    (read it exactly). Lines go in batches through msgspec's `decode_lines`, one call each,
    and one line at a time only in a batch where some line was refused."""

    BATCH_BYTES = 4 << 20

    def __init__(self, field_kinds: FieldKinds) -> None:
        named = [(f"f{i}", name, kind) for i, (name, kind) in enumerate(field_kinds)]
        attrs = {attr: name for attr, name, _ in named}
        fields = [(attr, *kind.decoded_field()) for attr, _, kind in named]
        row = msgspec.defstruct("Row", fields, kw_only=True, rename=attrs, gc=False)
        try:
            decoder = msgspec.json.Decoder(row)
        except TypeError as exc:  # a union msgspec can't tell apart
            raise NotCompiled(str(exc)) from exc
        self._decode, self._decode_lines = decoder.decode, decoder.decode_lines
        self._names = [name for _, name, _ in named]
        self._columns = [(attr, kind.finisher()) for attr, _, kind in named]

    def records(self, lines: list[bytes]) -> list[dict[str, Any] | None]:
        found: list[dict[str, Any] | None] = []
        for batch in _batches(lines, self.BATCH_BYTES):
            with _collector_paused():
                decoded = self._batch(batch)
            found += decoded if decoded is not None else [self.record(line) for line in batch]
        return found

    def record(self, line: bytes) -> dict[str, Any] | None:
        try:
            return self._stored([self._decode(line)])[0]
        except REFUSED:
            return None

    def _batch(self, lines: list[bytes]) -> list[dict[str, Any]] | None:
        """None when some line is refused. decode_lines skips blank lines and reads two values
        on one line as two rows: with no blank line, as many rows as lines means one a line."""
        try:
            rows = self._decode_lines(b"\n".join(lines))
            if len(rows) != len(lines) or not all(line.strip() for line in lines):
                return None
            return self._stored(rows)
        except REFUSED:
            return None

    def _stored(self, rows: list) -> list[dict[str, Any]]:
        columns = [finish([getattr(row, attr) for row in rows]) for attr, finish in self._columns]
        names = self._names
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _batches(lines: list[bytes], size: int) -> Iterator[list[bytes]]:
    """Runs of lines of about `size` bytes."""
    batch: list[bytes] = []
    held = 0
    for line in lines:
        batch.append(line)
        held += len(line)
        if held >= size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


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
        raws = {name: getattr(found, attr) for attr, name in self._attrs.items()}
        return {name: str(raw, "utf-8") for name, raw in raws.items() if raw_given(raw)}


class TypeGate:
    """Checks the values of the type's `gated` fields (lists, integers) before polars reads a
    chunk with their declared dtypes, which would coerce a stray number into a string: one
    msgspec call per batch of lines, cheaper than the regexes that looked for such values."""

    BATCH_BYTES = 4 << 20  # decoded objects live until their batch is checked

    def __init__(self, field_kinds: FieldKinds) -> None:
        gated = [(f"f{i}", name, kind) for i, (name, kind) in enumerate(field_kinds) if kind.gated]
        fields = [(attr, kind.decoded_type() | None, None) for attr, _, kind in gated]
        rename = {attr: name for attr, name, _ in gated}
        row = msgspec.defstruct("Gate", fields, rename=rename, gc=False)
        self._decode_lines = msgspec.json.Decoder(row).decode_lines if gated else None

    def passes(self, data: bytes) -> bool:
        """Whether every line is a JSON object whose gated fields hold their kinds' values
        (blank lines are skipped here: polars' row count catches them)."""
        if self._decode_lines is None:
            return True
        view = memoryview(data)
        with _collector_paused():
            for start, end in _byte_ranges(data, self.BATCH_BYTES):
                try:
                    self._decode_lines(view[start:end])
                except REFUSED:
                    return False
        return True


def _byte_ranges(data: bytes, size: int) -> list[tuple[int, int]]:
    """Byte ranges of about `size` that end at line ends."""
    ranges, start = [], 0
    while start < len(data):
        cut = data.find(b"\n", min(start + size, len(data)) - 1)
        end = len(data) if cut < 0 else cut + 1
        ranges.append((start, end))
        start = end
    return ranges


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Decoding allocates lists by the thousand and frees them all at once: the cyclic
    collector would only scan them (it costs a third of the decode)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_BUILT: dict[tuple[int, type], tuple[FieldKinds, object]] = {}


def row_decoder(field_kinds: FieldKinds) -> RowDecoder | None:
    """The compiled decoder of a type's fields, None where one of them can't be compiled."""
    return _once(RowDecoder, field_kinds)  # type: ignore[return-value]


def text_reader(field_kinds: FieldKinds) -> TextReader:
    return _once(TextReader, field_kinds)  # type: ignore[return-value]


def type_gate(field_kinds: FieldKinds) -> TypeGate:
    return _once(TypeGate, field_kinds)  # type: ignore[return-value]


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


def compiled_records(
    data: bytes, lines: list[bytes], field_kinds: FieldKinds, kept_fields: tuple[str, ...]
) -> list[dict[str, Any] | None]:
    """Each line's stored values by the compiled decoder, or None: read that line exactly.
    None for every line when a kept extra field needs its values read exactly."""
    decoder = row_decoder(field_kinds)
    if decoder is None or not set(kept_fields) <= {name for name, _ in field_kinds}:
        return [None] * len(lines)
    nul, bad_utf8 = b"\x00" in data, not _is_utf8(data)
    if nul or bad_utf8:  # rare: those lines are read exactly, each of the others by itself
        records = [
            None
            if (nul and b"\x00" in line) or (bad_utf8 and not _is_utf8(line))
            else decoder.record(line)
            for line in lines
        ]
    else:
        records = decoder.records(lines)
    for name in kept_fields:
        _distrust_repeated_key(data, lines, records, name)
    return records


def _distrust_repeated_key(
    data: bytes, lines: list[bytes], records: list[dict[str, Any] | None], name: str
) -> None:
    """msgspec keeps the last of a key given twice; the exact path refuses the row. When the
    decoded lines hold no more occurrences of the quoted name than values decoded for it, no
    line gave it twice; else the decoded lines that hold it twice are read exactly."""
    quoted = b'"%s"' % name.encode()
    elsewhere = sum(
        line.count(quoted) for line, record in zip(lines, records, strict=True) if record is None
    )
    decoded = sum(1 for record in records if record is not None and record[name] is not None)
    if data.count(quoted) - elsewhere <= decoded:
        return
    for index, line in enumerate(lines):
        if records[index] is not None and line.count(quoted) > 1:
            records[index] = None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
