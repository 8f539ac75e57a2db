"""The rows of a Parquet or Avro file as JSON lines, streamed (`sieve convert` writes them as a
dataset's JSON Lines): a batch of rows at a time, never the whole file."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

BATCH_ROWS = 10_000


def parquet_lines(path: Path) -> Iterator[str]:
    import polars as pl

    for batch in pl.scan_parquet(path).collect_batches(chunk_size=BATCH_ROWS):
        yield from batch.write_ndjson().splitlines()


def avro_lines(path: Path) -> Iterator[str]:
    import fastavro

    with path.open("rb") as handle:
        for record in fastavro.reader(handle):
            yield json.dumps(record, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    """A JSON value for what Avro decodes and JSON lacks."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")


READERS = {"parquet": parquet_lines, "avro": avro_lines}
