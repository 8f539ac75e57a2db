"""Where a worker's time goes on one chunk, per dataset type: the first `--mb` MB of each type's
bench file (24 MB: what each of two workers gets of the 48 MB files of bench/every_type.py) run
in-process through the steps `workers.pipeline.chunk_report` takes — parse (polars, or the
compiled msgspec decoder and the exact path for what it refuses), row rules, token facts (a
process's words already known: bench.tokens has the cold figure), field profile, row hashes,
Avro part — each timed, best of `--repeat`.

    python -m bench.phases [--mb 24] [--types batch-chat-v2-input,...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench import datagen
from bench.every_type import DATA
from store.local_blobs import LocalBlobStore
from validators.engine import RuleOptions, evaluate_chunk
from validators.parsing import ParseOptions, parse_chunk
from validators.profile import chunk_profile
from validators.registry import spec_for
from validators.settle import row_hashes
from validators.tokens.sources import TokenOptions, with_token_facts
from workers.parts import write_part

STEPS = ("parse", "rules", "tokens", "profile", "hashes", "part")
VALIDATION = tuple(step for step in STEPS if step != "tokens")


def _best(step: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - started)
    return best, result


def phases(kind: str, megabytes: int, repeat: int) -> dict:
    dataset_type = datagen.KINDS[kind][0]
    data = datagen.dataset(DATA, kind, 48).read_bytes()
    data = data[: data.index(b"\n", megabytes << 20) + 1]
    spec = spec_for(dataset_type)
    options = ParseOptions("jsonl", tuple(spec.field_names), spec.field_kinds)
    times: dict[str, float] = {}
    times["parse"], parsed = _best(lambda: parse_chunk(data, options, at_file_start=True), repeat)
    untokenized = replace(spec, tokens=None)
    times["rules"], (_, valid) = _best(
        lambda: evaluate_chunk(untokenized, parsed, RuleOptions("jsonl")), repeat
    )
    times["tokens"], valid = _best(
        lambda: with_token_facts(spec.tokens, valid, TokenOptions()), repeat
    )
    times["profile"], _ = _best(lambda: chunk_profile(parsed.frame, spec.field_names), repeat)
    times["hashes"], _ = _best(lambda: row_hashes(spec, valid), repeat)
    with tempfile.TemporaryDirectory() as folder:
        blobs = LocalBlobStore(Path(folder))
        times["part"], _ = _best(lambda: write_part(blobs, "parts/x", valid, set()), repeat)
    return {
        "type": dataset_type,
        "rows": parsed.rows_seen,
        **{k: round(v, 3) for k, v in times.items()},
    }


def run(megabytes: int = 24, repeat: int = 3, types: set[str] | None = None) -> list[dict]:
    kinds = [k for k in datagen.TYPE_KINDS if not types or datagen.KINDS[k][0] in types]
    return [{"mb": megabytes, **phases(kind, megabytes, repeat)} for kind in kinds]


def table(rows: list[dict]) -> list[str]:
    lines = [
        f"One {rows[0]['mb']} MB chunk per type, in-process (seconds):",
        "",
        "| type | rows | " + " | ".join(STEPS) + " | total |",
        "|---|---|" + "---|" * (len(STEPS) + 1),
    ]
    for found in rows:
        cells = " | ".join(f"{found[step]:.3f}" for step in STEPS)
        total = sum(found[step] for step in STEPS)
        lines.append(f"| {found['type']} | {found['rows']:,} | {cells} | {total:.3f} |")
    return lines


def per_type_command(doc: str, run: Callable, table: Callable) -> None:
    """A per-type bench's command line: --mb, --types, --repeat; prints its table."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=24)
    parser.add_argument("--types", help="comma-separated dataset types (default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wanted = set(args.types.split(",")) if args.types else None
    print("\n".join(table(run(args.mb, args.repeat, wanted))))


def main() -> None:
    per_type_command(__doc__, run, table)


if __name__ == "__main__":
    main()
