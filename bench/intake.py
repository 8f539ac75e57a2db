"""Upload intake, measured: for one file sent as one POST and as resumable parts, the bytes the
web tier wrote per uploaded byte, the upload's speed with workers validating beside it and with
none, the web process's peak RSS, and (with --profile) where the web process spent its time.

    python -m bench.intake --size-mb 256 [--profile]

It measures the web tier from outside, through /proc, and needs only bench.stack and
bench.datagen: copied into a checkout of an older commit and run there (PYTHONPATH=that
checkout), it gives a same-run baseline.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

from bench import datagen
from bench.stack import API_KEY, BenchStack, peak_rss_mb

MIB = 1024 * 1024
DATA = Path(__file__).parent / "data"
# Where a web process's time goes, by the frames its samples hold (first match wins).
PLACES = (
    ("writing blobs", ("local_blobs.py", "s3_blobs.py")),
    ("reading the request body", ("gunicorn/http/body.py", "gunicorn/http/unreader.py")),
    ("multipart parsing", ("python_multipart",)),
    ("cutting chunks", ("cutting.py",)),
    ("hashing parts", ("_hashlib", "hashlib")),
    ("Redis", ("redis/",)),
)


def _web_tree(stack: BenchStack) -> list[psutil.Process]:
    return [psutil.Process(stack.web.pid), *stack.web_processes()]


def web_bytes_written(stack: BenchStack) -> int:
    """Bytes the web tier has written (write syscalls: files, sockets, logs) since it
    started: beside an upload's size, how often each byte was stored."""
    return sum(process.io_counters().write_chars for process in _web_tree(stack))


def _profile(pid: int, out: Path) -> subprocess.Popen:
    """py-spy recording `pid` until interrupted (SIGINT), then writing its samples to `out`."""
    spy = str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--format", "raw", "--rate", "200", "--nonblocking"]
    command += ["-o", str(out), "--pid", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _curl_post(stack: BenchStack, path: Path) -> str:
    """The file as one multipart POST sent by curl (a client in C: the upload's speed is the
    server's, not the client's)."""
    answer = subprocess.run(
        ["curl", "-sS", "-f", "-H", f"Authorization: Bearer {API_KEY}", "-F", f"data=@{path}"]
        + [f"{stack.url}/v1/datasets?name={path.stem}&type=embed-input"],
        capture_output=True,
        check=True,
        timeout=3600,
    )
    return json.loads(answer.stdout)["id"]


def _warm_up(stack: BenchStack, path: Path) -> None:
    """One tiny upload first, so the measured one pays no module imports."""
    tiny = path.with_name("warm-up.jsonl")
    tiny.write_text('{"text": "warm"}\n')
    stack.delete(_curl_post(stack, tiny))


def _shares(collapsed: list[Path]) -> dict[str, float]:
    """Share of the samples (py-spy's collapsed stacks) that fall in each place of PLACES."""
    counts: Counter[str] = Counter()
    total = 0
    lines = [line for path in collapsed if path.exists() for line in path.read_text().splitlines()]
    for line in lines:
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        place = next((name for name, marks in PLACES if any(m in stack for m in marks)), None)
        counts[place or "other"] += samples
    return {name: round(100 * n / total, 1) for name, n in counts.most_common()} if total else {}


def measure(stack: BenchStack, path: Path, how: str, workers: int, profile: Path | None) -> dict:
    stack.set_workers(workers)
    stack.restart_web()
    _warm_up(stack, path)
    size = path.stat().st_size
    tree = _web_tree(stack) if profile else []
    spies = [_profile(p.pid, profile.with_suffix(f".{p.pid}")) for p in tree]
    time.sleep(1.0 if spies else 0)  # attached before the first byte
    started = time.time()
    if how == "post":
        dataset_id = _curl_post(stack, path)
    else:
        dataset_id = stack.upload_in_parts(path, "embed-input")
    took = time.time() - started
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    result = {
        "sent_as": how,
        "workers": workers,
        "web_bytes_written_per_byte": round(web_bytes_written(stack) / size, 3),
        "upload_mb_s": round(size / MIB / took, 1),
        "web_peak_rss_mb": round(max(peak_rss_mb(p) for p in _web_tree(stack)), 1),
    }
    for spy in spies:
        spy.wait(timeout=60)
    if profile is not None:
        result["profile_percent"] = _shares([profile.with_suffix(f".{p.pid}") for p in tree])
    if workers:
        result["validation_status"] = stack.wait_final(dataset_id)["validation_status"]
    stack.delete(dataset_id)
    return result


def run(size_mb: int, chunk_bytes: int, with_profile: bool) -> list[dict]:
    path = datagen.dataset(DATA, "embed-jsonl", size_mb)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = BenchStack(Path(tmp), chunk_bytes)
        try:
            for how in ("post", "resumable"):
                for workers in (psutil.cpu_count(), 0):
                    profile = Path(tmp) / f"{how}-{workers}.txt" if with_profile else None
                    results.append(measure(stack, path, how, workers, profile))
        finally:
            stack.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="py-spy the web process")
    args = parser.parse_args(argv)
    for result in run(args.size_mb, args.chunk_mb * MIB, args.profile):
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
