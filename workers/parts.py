"""A chunk's valid rows as an Avro object container file (one part per chunk), written by
polars' native Avro writer (about 15x faster than building Python records for fastavro).

Kept extra fields that hold nested or mixed JSON values are stored as JSON text, the same
whichever parse path read the chunk, so parts never depend on how a file was chunked.
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import polars as pl

from store.blobs import BlobStore
from validators.findings import bounded
from validators.parsing import ROW
from validators.tokens.sources import without_facts

SAMPLE_ROWS = 5
ROWS_PER_BLOCK = 8192  # a page of rows reads one Avro block of the part
SYNC_BYTES = 16
HEADER_BYTES = 64 * 1024
AVRO_COMPRESSION = "uncompressed"  # "deflate" saves ~half the space for ~35x the write time
_NESTED = (pl.Struct, pl.List, pl.Array, pl.Object)


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, pl.Series):  # polars hands a list cell over as a Series
        value = value.to_list()
    return json.dumps(value, ensure_ascii=False)


def avro_ready(frame: pl.DataFrame, extra_fields: set[str]) -> pl.DataFrame:
    """Drop row numbers, token facts and extra fields no row has (an optional field this
    chunk never gives: its rows have no such key, rather than a null in every row); turn
    nested or mixed-type extra fields into JSON text."""
    frame = without_facts(frame.drop(ROW))
    absent = [
        n for n in extra_fields if n in frame.columns and frame[n].null_count() == frame.height
    ]
    frame = frame.drop(absent)
    nested = [
        name
        for name, dtype in frame.schema.items()
        if name in extra_fields and isinstance(dtype, _NESTED)
    ]
    converted = [
        pl.col(name).map_elements(_json_text, return_dtype=pl.String, skip_nulls=True)
        for name in nested
    ]
    all_null = [pl.col(n).cast(pl.String) for n, dtype in frame.schema.items() if dtype == pl.Null]
    return frame.with_columns(converted).with_columns(all_null)


def _write_frame(blobs: BlobStore, key: str, frame: pl.DataFrame) -> tuple[int, list[list[int]]]:
    """Write `frame` as an Avro file of blocks of ROWS_PER_BLOCK rows; its size and where each
    block starts ([first row, byte offset]), so a page of rows reads one block, not the part.

    polars writes one block per file, so each slice is written on its own and its block is
    appended under the first file's header, with the first file's sync marker."""
    writer = blobs.open_writer(key)
    blocks: list[list[int]] = []
    try:
        sync, header, offset = b"", 0, 0
        for start in range(0, max(frame.height, 1), ROWS_PER_BLOCK):
            written = io.BytesIO()
            frame.slice(start, ROWS_PER_BLOCK).write_avro(
                written, compression=AVRO_COMPRESSION, name="Row"
            )
            data = written.getbuffer()
            if not sync:  # every slice has the same header but for its sync marker
                header = _header_length(bytes(data[:HEADER_BYTES]))
                sync = bytes(data[header - SYNC_BYTES : header])
                writer.write(data[:header])
                offset = header
            blocks.append([start, offset])
            writer.write(data[header:-SYNC_BYTES])  # the block, ending with the first sync
            writer.write(sync)
            offset += len(data) - header
            del data
    except BaseException:
        writer.abort()
        raise
    return writer.commit(), blocks


def _header_length(data: bytes) -> int:
    source = io.BytesIO(data)
    fastavro.reader(source)  # reads the header only: records are read lazily
    return source.tell()


def read_rows(blobs: BlobStore, part: dict[str, Any], start: int, stop: int) -> list[dict]:
    """Rows [start, stop) of a part, reading only the blocks that hold them (and the header)."""
    blocks = part.get("blocks") or [[0, None]]  # a part written before blocks: one block
    ends = [offset for _, offset in blocks[1:]] + [part["size_bytes"]]
    lasts = [first for first, _ in blocks[1:]] + [part["num_rows"]]
    header = blobs.read_range(part["key"], 0, blocks[0][1] or part["size_bytes"])
    header = header[: _header_length(header)]
    rows: list[dict] = []
    for (first, offset), end, last in zip(blocks, ends, lasts, strict=True):
        if last <= start or first >= stop:
            continue
        data = blobs.read_range(part["key"], offset or len(header), end)
        records = fastavro.reader(io.BytesIO(header + data))
        rows += [r for i, r in enumerate(records, first) if start <= i < stop]
    return rows


def _samples(frame: pl.DataFrame) -> list[str]:
    rows = frame.head(SAMPLE_ROWS).iter_rows(named=True)
    return [bounded(json.dumps(row, ensure_ascii=False)) for row in rows]


def write_part(
    blobs: BlobStore, key: str, frame: pl.DataFrame, extra_fields: set[str]
) -> dict[str, Any]:
    """Write `frame` to blob `key`; returns size, rows and samples."""
    ready = avro_ready(frame, extra_fields)
    size, blocks = _write_frame(blobs, key, ready)
    return {
        "key": key,
        "size_bytes": size,
        "num_rows": ready.height,
        "samples": _samples(ready),
        "blocks": blocks,
    }


def read_part(blobs: BlobStore, key: str) -> pl.DataFrame:
    return pl.read_avro(io.BytesIO(blobs.read_range(key, 0, blobs.size(key))))


def replace_part(
    blobs: BlobStore, part: dict[str, Any], frame: pl.DataFrame
) -> dict[str, Any] | None:
    """Write `frame` (rows as read from a part) as `part`, updating size, rows and samples;
    an empty frame deletes the part (None)."""
    if frame.height == 0:
        blobs.delete_prefix(part["key"])
        return None
    part["size_bytes"], part["blocks"] = _write_frame(blobs, part["key"], frame)
    part["num_rows"] = frame.height
    part["samples"] = _samples(frame)
    return part


def part_schema(blobs: BlobStore, key: str) -> dict:
    """The Avro schema a part was written with (read from its header only)."""
    return fastavro.reader(io.BytesIO(blobs.read_range(key, 0, HEADER_BYTES))).writer_schema


def merged_schema(schemas: list[dict]) -> dict | None:
    """One schema every part's records fit: per field, the union of the parts' types."""
    if not schemas:
        return None
    first = schemas[0]
    if all(schema == first for schema in schemas):
        return first
    fields = []
    for position, field in enumerate(first["fields"]):
        types: list = []
        for schema in schemas:
            kind = schema["fields"][position]["type"]
            for option in kind if isinstance(kind, list) else [kind]:
                if option not in types:
                    types.append(option)
        fields.append({"name": field["name"], "type": types if len(types) > 1 else types[0]})
    return {**first, "fields": fields}
