"""Writing a chunk's valid rows as an Avro object container file (one part per chunk)."""

from __future__ import annotations

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


def write_part(
    blobs: BlobStore, key: str, frame: pl.DataFrame, schema: dict, extra_fields: set[str]
) -> dict[str, Any]:
    """Write `frame` (without its row numbers) to blob `key`; returns size, rows and samples."""
    parsed = fastavro.parse_schema(schema)
    writer = blobs.open_writer(key)
    try:
        fastavro.writer(writer, parsed, _records(frame, extra_fields), codec=AVRO_CODEC)
    except BaseException:
        writer.abort()
        raise
    size = writer.commit()
    samples = [
        json.dumps(record, ensure_ascii=False)
        for record in _records(frame.head(SAMPLE_ROWS), extra_fields)
    ]
    return {"key": key, "size_bytes": size, "num_rows": frame.height, "samples": samples}
