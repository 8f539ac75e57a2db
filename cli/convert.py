"""`sieve convert`: a file in another well-known format (or another text encoding) rewritten as
a Cohere dataset type's rows, in UTF-8, streamed line by line whatever its size."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO

import click

from cli.client import CliError
from validators.conversions import CONVERSIONS, Conversion, recognised
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


def _rows(path: Path, encoding: str) -> Iterator[tuple[int, dict | None, str]]:
    for number, line in enumerate(_lines(path, encoding), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), line
        except (ValueError, RecursionError):  # written as it is: sieve check will say why
            yield number, None, line


def _source(path: Path, encoding: str, target: str, named: str | None) -> Conversion | None:
    """The conversion to `target` the file's first rows call for (None: already `target`)."""
    if named is not None:
        found = [c for c in CONVERSIONS if c.source == named and c.target == target]
        if not found:
            raise CliError(f"there is no conversion from {named} to {target}")
        return found[0]
    sample = [row for _, row, _ in islice(_rows(path, encoding), SAMPLE_ROWS) if row is not None]
    return recognised(target, sample)


def convert_file(
    path: Path, target: str, out: IO[str], named: str | None = None
) -> tuple[str, Conversion | None, list[str]]:
    """Write `path` as `target` rows to `out`: the encoding read, the conversion used, and
    the notes (row by row) on what could not be carried over."""
    encoding = encoding_of(path)
    with path.open("rb") as handle:
        head = handle.read(4096).decode(encoding, errors="replace").encode()
    if detect_format(path.name, head) != "jsonl":  # CSV or text: re-encoded only
        for line in _lines(path, encoding):
            out.write(line + "\n")
        return encoding, None, []
    conversion = _source(path, encoding, target, named)
    notes: list[str] = []
    for number, row, line in _rows(path, encoding):
        if row is None or conversion is None or not conversion.looks_like(row):
            if conversion is not None:
                notes.append(f"row {number}: not {conversion.source}: written as it was")
            out.write(line + "\n")
            continue
        converted, dropped = conversion.convert(row)
        notes += [f"row {number}: {note}" for note in dropped]
        out.write(json.dumps(converted, ensure_ascii=False) + "\n")
    return encoding, conversion, notes


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
    out = output.open("w", encoding="utf-8", newline="\n") if output else sys.stdout
    try:
        encoding, conversion, notes = convert_file(file, target, out, source)
    finally:
        if output:
            out.close()
    what = f"{conversion.description} -> {target}" if conversion else "rows kept as they are"
    shown = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
    click.echo(f"read as {shown}; {what}", err=True)
    for note in notes[:NOTES_SHOWN]:
        click.echo(f"note: {note}", err=True)
    if len(notes) > NOTES_SHOWN:
        click.echo(f"... and {len(notes) - NOTES_SHOWN} more notes", err=True)


COMMANDS = [convert]
