"""Writing a chunk's valid rows as an Avro object container file (one part per chunk)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import fastavro
import polars as pl

from store.blobs import BlobStore
from validators.parsing import ROW

SAMPLE_ROWS = 5
AVRO_CODEC = "null"  # parts are downloaded raw by the SDK; "deflate" trades CPU for space


def _avro_value(value: Any) -> Any:
    """Nested values of kept extra fields are stored as JSON text (see validators.schema)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _records(frame: pl.DataFrame, extra_fields: set[str]) -> Iterator[dict[str, Any]]:
    for row in frame.drop(ROW).iter_rows(named=True):
        if extra_fields:
            row = {name: _avro_value(v) if name in extra_fields else v for name, v in row.items()}
        yield row


def _write_records(blobs: BlobStore, key: str, schema: dict, records: Iterator[dict]) -> int:
    writer = blobs.open_writer(key)
    try:
        fastavro.writer(writer, fastavro.parse_schema(schema), records, codec=AVRO_CODEC)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


def _samples(records: Iterator[dict[str, Any]]) -> list[str]:
    return [json.dumps(record, ensure_ascii=False) for record in records]


def rewrite_part(blobs: BlobStore, part: dict[str, Any], drop_positions: set[int]) -> list[dict]:
    """Rewrite a part without the rows at `drop_positions`; updates `part` (size, rows, samples)
    in place and returns the dropped rows."""
    reader = fastavro.reader(io.BytesIO(blobs.read_range(part["key"], 0, blobs.size(part["key"]))))
    schema = reader.writer_schema
    kept, dropped = [], []
    for position, record in enumerate(reader):
        (dropped if position in drop_positions else kept).append(record)
    part["size_bytes"] = _write_records(blobs, part["key"], schema, iter(kept))
    part["num_rows"] = len(kept)
    part["samples"] = _samples(iter(kept[:SAMPLE_ROWS]))
    return dropped


def write_part(
    blobs: BlobStore, key: str, frame: pl.DataFrame, schema: dict, extra_fields: set[str]
) -> dict[str, Any]:
    """Write `frame` (without its row numbers) to blob `key`; returns size, rows and samples."""
    size = _write_records(blobs, key, schema, _records(frame, extra_fields))
    samples = _samples(_records(frame.head(SAMPLE_ROWS), extra_fields))
    return {"key": key, "size_bytes": size, "num_rows": frame.height, "samples": samples}
