"""Every dataset type, measured the same way: a realistic valid JSONL file per type (48 MB by
default) uploaded at loopback to a stack with one worker per core; "verdict" is the delay
between the upload's answer and the verdict. Beside it, in the same run on the same file: the
polars floor (`pl.read_ndjson` over one byte range per core, in as many processes, schema
inferred) and a Python loop (`json.loads` per line and an isinstance check of the required
fields, one process).

    python -m bench.every_type [--size-mb 48] [--types batch-chat-v2-input,...]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import psutil

from bench import baselines, datagen
from bench.stack import BenchStack, epoch, peak_rss_mb
from validators.registry import spec_for

MIB = 1024 * 1024
DATA = Path(__file__).parent / "data"


def _inferred_range(job: tuple[str, int, int]) -> int:
    path, start, end = job
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None).height


def polars_floor(path: Path, processes: int) -> float:
    """Seconds for polars to read the file, one byte range per process, schema inferred."""
    _, ranges = baselines.chunk_ranges(path, "jsonl", -(-path.stat().st_size // processes))
    os.environ["POLARS_MAX_THREADS"] = "1"
    started = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        sum(pool.map(_inferred_range, [(str(path), a, b) for a, b in ranges]))
    return time.perf_counter() - started


def measure(stack: BenchStack, kind: str, size_mb: int) -> dict:
    dataset_type = datagen.KINDS[kind][0]
    path = datagen.dataset(DATA, kind, size_mb)
    floor = polars_floor(path, psutil.cpu_count())
    loop, covered = baselines.python_loop(path, "jsonl", spec_for(dataset_type).required_fields)
    loop *= path.stat().st_size / covered
    dataset_id = stack.upload(path, dataset_type)
    answered = time.time()
    dataset = stack.wait_final(dataset_id)
    verdict = epoch(dataset["updated_at"]) - answered
    stack.delete(dataset_id)
    return {
        "type": dataset_type,
        "size_mb": size_mb,
        "status": dataset["validation_status"],
        "verdict_s": round(verdict, 3),
        "polars_floor_s": round(floor, 3),
        "python_loop_s": round(loop, 3),
        "ratio_to_floor": round(verdict / floor, 2),
        "ratio_to_loop": round(verdict / loop, 2),
    }


def measure_big(stack: BenchStack, kind: str, size_mb: int) -> dict:
    """One big file end to end: upload, verdict after it, and the processes' peak RSS."""
    dataset_type = datagen.KINDS[kind][0]
    path = datagen.dataset(DATA, kind, size_mb)
    stack.set_workers(psutil.cpu_count())
    stack.restart_web()
    started = time.time()
    dataset_id = stack.upload(path, dataset_type)
    answered = time.time()
    dataset = stack.wait_final(dataset_id)
    result = {
        "type": dataset_type,
        "size_mb": size_mb,
        "status": dataset["validation_status"],
        "upload_s": round(answered - started, 2),
        "verdict_after_upload_s": round(epoch(dataset["updated_at"]) - answered, 2),
        "end_to_end_s": round(epoch(dataset["updated_at"]) - started, 2),
        "web_peak_rss_mb": round(max(peak_rss_mb(p) for p in stack.web_processes()), 1),
        "worker_peak_rss_mb": round(max(peak_rss_mb(p) for p in stack.pool_processes()), 1),
    }
    stack.delete(dataset_id)
    return result


def run(size_mb: int, chunk_bytes: int, types: list[str] | None = None) -> list[dict]:
    kinds = [k for k in datagen.TYPE_KINDS if not types or datagen.KINDS[k][0] in types]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = BenchStack(Path(tmp), chunk_bytes)
        try:
            stack.set_workers(psutil.cpu_count())
            results = [measure(stack, kind, size_mb) for kind in kinds]
        finally:
            stack.stop()
    return results


def table(rows: list[dict]) -> list[str]:
    lines = [
        f"Every type, {rows[0]['size_mb']} MB of valid JSONL each, uploaded at loopback "
        "(verdict = after the upload answered):",
        "",
        "| type | verdict | polars floor | / floor | Python loop | / loop |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['type']} | {r['verdict_s']:.2f} s | {r['polars_floor_s']:.2f} s "
            f"| {r['ratio_to_floor']}x | {r['python_loop_s']:.2f} s | {r['ratio_to_loop']}x |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=48)
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--types", help="comma-separated dataset types (default: all)")
    parser.add_argument(
        "--big-mb", type=int, help="instead: one batch-chat-v2-input file this big, end to end"
    )
    args = parser.parse_args(argv)
    if args.big_mb:
        with tempfile.TemporaryDirectory() as tmp:
            stack = BenchStack(Path(tmp), args.chunk_mb * MIB)
            try:
                print(json.dumps(measure_big(stack, "batch-chat-v2-jsonl", args.big_mb)))
            finally:
                stack.stop()
        return 0
    types = args.types.split(",") if args.types else None
    rows = run(args.size_mb, args.chunk_mb * MIB, types)
    print(json.dumps(rows))
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
