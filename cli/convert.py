"""`sieve convert`: a file in another well-known format (or another text encoding) rewritten as
a Cohere dataset type's rows, in UTF-8, streamed line by line whatever its size."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO, Any

import click

from cli.binary_rows import READERS
from cli.client import CliError
from cli.json_values import JsonValues
from validators.binary_files import ZIP_NAMES_BYTES, binary_file_of
from validators.conversions import CONVERSIONS, Conversion, recognised
from validators.conversions.layout import SAMPLE_BYTES, json_layout
from validators.formats import detect_format, wide_encoding_of
from validators.registry import supported_types

SAMPLE_ROWS = 100  # rows read to recognise the source format
NOTES_SHOWN = 20  # notes printed one by one; the rest are counted
# a conversion's target, or any type (its rows kept, re-encoded to UTF-8)
TARGETS = sorted({conversion.target for conversion in CONVERSIONS} | set(supported_types()))


def encoding_of(path: Path) -> str:
    """The codec to read the file with: its BOM's or wide encoding, UTF-8 when all of it
    decodes as UTF-8, else Windows-1252 (Excel's default on Windows; Latin-1 is a subset)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
        wide = wide_encoding_of(head)  # "UTF-16LE", or "UTF-16LE (with a BOM)"
        if wide is not None:
            name = wide.split(" ")[0].lower()  # a codec Python knows: utf-16le
            return name[:6] if "BOM" in wide else name  # utf-16 reads and drops the BOM
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head)
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _lines(path: Path, encoding: str) -> Iterator[str]:
    with path.open(encoding=encoding, newline="") as handle:
        for line in handle:
            yield line.rstrip("\r\n")


Rows = Iterator[tuple[int, Any, str]]  # (row number, the row or None when not JSON, its text)


def _rows(path: Path, encoding: str, layout: str | None) -> Rows:
    """A JSON Lines file's lines, or the values of a file that is one JSON document
    (`layout`), one row each."""
    if layout is not None:
        with path.open(encoding=encoding, newline="") as handle:
            for number, (value, text) in enumerate(JsonValues(handle), start=1):
                one_line = "\n" not in text and "\r" not in text
                yield number, value, text if one_line else json.dumps(value, ensure_ascii=False)
        return
    yield from _json_lines(_lines(path, encoding))


def _json_lines_of(lines: Callable[[Path], Iterable[str]], path: Path) -> Rows:
    return _json_lines(lines(path))


def _json_lines(lines: Iterable[str]) -> Rows:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), line
        except (ValueError, RecursionError):  # written as it is: sieve check will say why
            yield number, None, line


def _source(rows: Rows, target: str, named: str | None) -> Conversion | None:
    """The conversion to `target` the file's first rows call for (None: already `target`)."""
    if named is not None:
        found = [c for c in CONVERSIONS if c.source == named and c.target == target]
        if not found:
            raise CliError(f"there is no conversion from {named} to {target}")
        return found[0]
    sample = [row for _, row, _ in islice(rows, SAMPLE_ROWS) if isinstance(row, dict)]
    return recognised(target, sample)


@dataclass(frozen=True)
class Converted:
    read_as: str  # "UTF-8", "CP1252", "Parquet"...
    layout: str | None  # a JSON document's layout (validators.conversions.layout), rewritten
    conversion: Conversion | None  # None: its rows kept as they are
    notes: list[str]  # row by row, what could not be carried over


def convert_file(path: Path, target: str, out: IO[str], named: str | None = None) -> Converted:
    """Write `path` as `target` rows, one per line, to `out`."""
    with path.open("rb") as handle:
        binary = binary_file_of(handle.read(ZIP_NAMES_BYTES))
    if binary is not None:
        if binary.reader is None:
            raise CliError(binary.sentence(path.name))
        rows = partial(_json_lines_of, READERS[binary.reader], path)  # read twice: sample, all
        read = Converted(binary.reader.title(), None, None, [])
        return _convert_rows(rows, target, out, named, read)
    encoding = encoding_of(path)
    read_as = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        head = handle.read(SAMPLE_BYTES).encode()
    if detect_format(path.name, head) != "jsonl":  # CSV or text: re-encoded only
        for line in _lines(path, encoding):
            out.write(line + "\n")
        return Converted(read_as, None, None, [])
    layout = json_layout(head)
    rows = partial(_rows, path, encoding, layout)
    return _convert_rows(rows, target, out, named, Converted(read_as, layout, None, []))


def _convert_rows(
    rows: Callable[[], Rows], target: str, out: IO[str], named: str | None, read: Converted
) -> Converted:
    """Write the rows (converted from the format their first ones are in) to `out`."""
    conversion = _source(rows(), target, named)
    notes: list[str] = []
    for number, row, line in rows():
        if not isinstance(row, dict) or conversion is None or not conversion.looks_like(row):
            if conversion is not None:
                notes.append(f"row {number}: not {conversion.source}: written as it was")
            out.write(line + "\n")
            continue
        converted, dropped = conversion.convert(row)
        notes += [f"row {number}: {note}" for note in dropped]
        out.write(json.dumps(converted, ensure_ascii=False) + "\n")
    return replace(read, conversion=conversion, notes=notes)


@click.command("convert")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to", "target", required=True, type=click.Choice(TARGETS), help="The format to write."
)
@click.option("--from", "source", help="The source format (default: recognised from the rows).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout."
)
def convert(file: Path, target: str, source: str | None, output: Path | None) -> None:
    """Rewrite FILE as TARGET rows in UTF-8: OpenAI chat fine-tuning or batch lines, Cohere
    v1 chat requests, any text encoding. What can't be carried over is said row by row."""
    if output is None:
        done = convert_file(file, target, sys.stdout, source)
    else:  # written aside and renamed when whole: a failure leaves no half-written file
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                done = convert_file(file, target, out, source)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    said = [f"read as {done.read_as}"]
    if done.layout is not None:
        said.append(f"{done.layout}, written one row per line")
    conversion = done.conversion
    said.append(f"{conversion.description} -> {target}" if conversion else "rows kept as they are")
    click.echo("; ".join(said), err=True)
    for note in done.notes[:NOTES_SHOWN]:
        click.echo(f"note: {note}", err=True)
    if len(done.notes) > NOTES_SHOWN:
        click.echo(f"... and {len(done.notes) - NOTES_SHOWN} more notes", err=True)


COMMANDS = [convert]
