"""What Sieve is measured against, on the same file in the same run.

- polars floor: the file cut into the same byte-range chunks, each read the way Sieve's own
  fast path reads it (a fixed schema of the type's fields, one polars thread per process), with
  the same required-field checks, over all cores — no Sieve, no Redis, no HTTP, no parts.
- Python loop: json.loads / csv per row with the same checks (what typical validator scripts do).
- loopback copy: the file streamed over a local TCP socket into a sink (upload's floor).
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl

from validators.cutting import cut_whole
from validators.spec import DatasetSpec


def chunk_ranges(path: Path, fmt: str, chunk_bytes: int) -> tuple[int, list[tuple[int, int]]]:
    size = path.stat().st_size
    with open(path, "rb") as blocks:
        start, cuts = cut_whole(iter(lambda: blocks.read(1 << 20), b""), fmt, chunk_bytes)
    edges = [start, *cuts, size]
    return start, list(zip(edges, edges[1:], strict=False))


def _polars_chunk(args: tuple[str, str, int, int, int, list[str], dict]) -> int:
    path, fmt, header_end, start, end, required, schema = args
    with open(path, "rb") as handle:
        header = handle.read(header_end) if fmt == "csv" else b""
        handle.seek(start)
        data = header + handle.read(end - start)
    if fmt == "csv":
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    else:
        frame = pl.read_ndjson(io.BytesIO(data), schema=schema)
    checks = [pl.col(f).is_not_null().all() for f in required if frame.schema.get(f) == pl.String]
    frame.select(checks)
    return frame.height


def polars_floor(
    path: Path, fmt: str, chunk_bytes: int, spec: DatasetSpec, processes: int
) -> float:
    header_end, ranges = chunk_ranges(path, fmt, chunk_bytes)
    required = spec.required_fields
    schema = {name: kind.dtype for name, kind in spec.field_kinds}
    jobs = [(str(path), fmt, header_end, a, b, required, schema) for a, b in ranges]
    os.environ["POLARS_MAX_THREADS"] = "1"
    started = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        sum(pool.map(_polars_chunk, jobs))
    return time.perf_counter() - started


def _check(row: dict, required: list[str]) -> None:
    for name in required:
        value = row.get(name)
        if not isinstance(value, (str, list, dict)) or not value:
            raise ValueError(f"bad row: {name}")


def python_loop(
    path: Path, fmt: str, required: list[str], max_bytes: int | None = None
) -> tuple[float, int]:
    """Seconds to check the file (or about its first `max_bytes`) row by row, and the bytes
    that covered (so a partial run can be scaled to the whole file)."""
    covered = 0
    started = time.perf_counter()
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                _check(row, required)
        return time.perf_counter() - started, path.stat().st_size
    with open(path, "rb") as handle:
        for line in handle:
            _check(json.loads(line), required)
            covered += len(line)
            if max_bytes and covered >= max_bytes:
                break
    return time.perf_counter() - started, covered


def loopback_copy(path: Path) -> float:
    """Seconds to stream the file through a local TCP connection into a sink."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def sink() -> None:
        connection, _ = server.accept()
        with connection:
            while connection.recv(1 << 20):
                pass

    thread = threading.Thread(target=sink)
    thread.start()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as client, open(path, "rb") as handle:
        client.sendfile(handle)
    thread.join()
    server.close()
    return time.perf_counter() - started


def together_check(path: Path) -> float | None:
    """Seconds Together's own file check (`together files check`, its library function, run
    locally) takes on the file; None where the `together` package is not installed."""
    try:
        from together.lib.utils.files import check_file
    except ImportError:
        return None
    started = time.perf_counter()
    report = check_file(path)
    elapsed = time.perf_counter() - started
    if not report.get("is_check_passed"):
        raise RuntimeError(f"together refused the benchmark file: {report.get('message')}")
    return elapsed
