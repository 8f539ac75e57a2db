"""The Sieve benchmark: `python -m bench.run [--full]` (or `make bench`).

Every Sieve figure is printed beside its baseline measured in the same run on the same file.
Results go to bench/results/latest.json and bench/results/latest.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

from bench import (
    api_latency,
    baselines,
    datagen,
    every_type,
    intake,
    phases,
    report,
    search_load,
    tokens,
)
from bench.stack import HEADERS, BenchStack, epoch, peak_rss_mb
from cli.embedded_redis import free_port, wait_for_port
from cli.processes import start_process
from validators.registry import spec_for

RESULTS = Path(__file__).parent / "results"
DATA = Path(__file__).parent / "data"
MIB = 1024 * 1024


def _seconds_between(start: str, end: str) -> float:
    return epoch(end) - epoch(start)


def measure_file(
    stack: BenchStack, kind: str, size_mb: int, workers: int, chunk_bytes: int
) -> dict:
    dataset_type, fmt, _ = datagen.KINDS[kind]
    path = datagen.dataset(DATA, kind, size_mb)
    required = spec_for(dataset_type).required_fields
    spec = spec_for(dataset_type)
    floor = baselines.polars_floor(path, fmt, chunk_bytes, spec, psutil.cpu_count())
    loop_seconds, covered = baselines.python_loop(path, fmt, required, max_bytes=64 * MIB)
    python_estimate = loop_seconds * path.stat().st_size / covered
    copy_seconds = baselines.loopback_copy(path)

    stack.restart_web()
    stack.set_workers(workers)
    started_wall = time.time()
    dataset_id = stack.upload(path, dataset_type)
    dataset = stack.wait_final(dataset_id)
    assert dataset["validation_status"] == "validated", dataset.get("validation_error")
    validation = _seconds_between(dataset["created_at"], dataset["updated_at"])
    end_to_end = epoch(dataset["updated_at"]) - started_wall
    upload = end_to_end - validation
    result = {
        "kind": kind,
        "size_mb": size_mb,
        "bytes": path.stat().st_size,
        "workers": workers,
        "rows": dataset["metrics"]["finetune_dataset_metrics"]["train_examples"],
        "validation_s": round(validation, 3),
        "polars_floor_s": round(floor, 3),
        "python_loop_s": round(python_estimate, 3),
        "python_loop_extrapolated": covered < path.stat().st_size,
        "end_to_end_s": round(end_to_end, 3),
        "upload_s": round(upload, 3),
        "upload_mb_s": round(size_mb / upload, 1) if upload > 0 else None,
        "loopback_copy_mb_s": round(size_mb / copy_seconds, 1),
        "web_peak_rss_mb": round(max(peak_rss_mb(p) for p in stack.web_processes()), 1),
        "worker_peak_rss_mb": round(max(peak_rss_mb(p) for p in stack.pool_processes()), 1),
    }
    stack.delete(dataset_id)
    return result


def measure_latency(stack: BenchStack, kind: str, size_mb: int, chunk_bytes: int) -> dict:
    """How soon the verdict follows the upload's last byte: sent at loopback speed, at a
    good WAN's 64 MB/s, and as resumable parts; beside the floor and the peers' checks."""
    dataset_type, fmt, _ = datagen.KINDS[kind]
    path = datagen.dataset(DATA, kind, size_mb)
    spec = spec_for(dataset_type)
    floor = baselines.polars_floor(path, fmt, chunk_bytes, spec, psutil.cpu_count())
    loop_seconds, covered = baselines.python_loop(path, fmt, spec.required_fields)
    result = {
        "kind": kind,
        "size_mb": size_mb,
        "polars_floor_s": round(floor, 3),
        "python_loop_s": round(loop_seconds * path.stat().st_size / covered, 3),
        "together_check_s": _rounded(baselines.together_check(path)),
        "loopback_copy_mb_s": round(size_mb / baselines.loopback_copy(path), 1),
    }
    stack.set_workers(psutil.cpu_count())
    for name, send in (
        ("loopback", lambda: stack.upload(path, dataset_type)),
        ("rate_64mb_s", lambda: stack.upload(path, dataset_type, 64 * MIB)),
        ("resumable_parts", lambda: stack.upload_in_parts(path, dataset_type)),
    ):
        stack.restart_web()
        started = time.time()
        dataset_id = send()
        answered = time.time()
        dataset = stack.wait_final(dataset_id)
        assert dataset["validation_status"] == "validated", dataset.get("validation_error")
        after = epoch(dataset["updated_at"]) - answered
        written = intake.web_bytes_written(stack) / path.stat().st_size
        result[name] = {
            "web_bytes_written_per_byte": round(written, 3),
            "upload_s": round(answered - started, 3),
            "upload_mb_s": round(size_mb / (answered - started), 1),
            "verdict_after_upload_s": round(after, 3),
            "ratio_to_floor": round(after / floor, 2),
            "web_peak_rss_mb": round(max(peak_rss_mb(p) for p in stack.web_processes()), 1),
        }
        stack.delete(dataset_id)
    return result


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def measure_scaling(stack: BenchStack, kind: str, size_mb: int, chunk_bytes: int) -> list[dict]:
    points = []
    for workers in range(1, psutil.cpu_count() + 1):
        result = measure_file(stack, kind, size_mb, workers, chunk_bytes)
        points.append({"workers": workers, "validation_s": result["validation_s"]})
    base = points[0]["validation_s"]
    for point in points:
        point["speedup"] = round(base / point["validation_s"], 2)
        point["efficiency"] = round(point["speedup"] / point["workers"], 2)
    return points


def measure_api(stack: BenchStack, workdir: Path, datasets: int) -> dict:
    ids = api_latency.seed_datasets(stack.env, "bench", datasets)
    sieve_list = api_latency.measure(lambda rng: f"{stack.url}/v1/datasets?limit=20", HEADERS)
    sieve_get = api_latency.measure(
        lambda rng: f"{stack.url}/v1/datasets/{rng.choice(ids)}", HEADERS
    )
    port = free_port()
    bare = start_process(
        "web",
        {**os.environ, "PORT": str(port)},
        subprocess.DEVNULL,
        "--app",
        "bench.bare_app:create_app()",
    )
    try:
        wait_for_port(port, timeout=60)
        bare_url = f"http://127.0.0.1:{port}"
        bare_list = api_latency.measure(lambda rng: f"{bare_url}/v1/datasets", {})
        bare_get = api_latency.measure(lambda rng: f"{bare_url}/v1/datasets/{rng.choice(ids)}", {})
    finally:
        bare.terminate()
        bare.wait(timeout=30)
    return {
        "datasets": datasets,
        "clients": 32,
        "list": {"sieve": sieve_list, "bare_flask": bare_list},
        "get": {"sieve": sieve_get, "bare_flask": bare_get},
    }


def machine() -> dict:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="sizes up to 1.5 GB (slow)")
    parser.add_argument("--sizes", help="embed-jsonl sizes in MB, e.g. 16,64,256")
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--api-datasets", type=int, default=10_000)
    args = parser.parse_args(argv)
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([16, 64, 256, 1024, 1536] if args.full else [16, 64, 256])
    )
    chunk_bytes = args.chunk_mb * MIB
    cores = psutil.cpu_count()
    results: dict = {
        "machine": machine(),
        "chunk_mb": args.chunk_mb,
        "when": time.strftime("%Y-%m-%d"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        stack = BenchStack(Path(tmp), chunk_bytes)
        try:
            results["files"] = [
                measure_file(stack, "embed-jsonl", s, cores, chunk_bytes) for s in sizes
            ]
            results["files"] += [
                measure_file(stack, kind, 64, cores, chunk_bytes)
                for kind in ("embed-csv", "classify-jsonl", "chat-jsonl")
            ]
            latency_size = max(s for s in sizes if s <= 256)
            results["latency"] = measure_latency(stack, "embed-jsonl", latency_size, chunk_bytes)
            results["intake"] = intake.run(latency_size, chunk_bytes, with_profile=False)
            results["types"] = every_type.run(48, chunk_bytes)
            results["phases"] = phases.run()
            results["tokens"] = tokens.run()
            results["search_load"] = search_load.run()
            if args.full:  # the main workload at the dataset limit, end to end
                results["big_batch"] = every_type.measure_big(stack, "batch-chat-v2-jsonl", 1536)
            scaling_size = max(s for s in sizes if s <= 256) if not args.full else 1024
            results["scaling"] = measure_scaling(stack, "embed-jsonl", scaling_size, chunk_bytes)
            results["scaling_file_mb"] = scaling_size
            results["api"] = measure_api(stack, Path(tmp), args.api_datasets)
        finally:
            stack.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    report.chart(results, RESULTS / "latest.png")
    print(report.table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
