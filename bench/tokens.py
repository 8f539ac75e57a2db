"""What counting tokens costs a worker, per dataset type that counts them: on the first `--mb`
MB of each type's bench file (one worker's chunk), the token facts (`with_token_facts`: the
texts cut out of the rows, counted, summed per row) beside the rest of the chunk's validation
(parse, row rules, profile, hashes, part: bench.phases), and beside the baseline, the same
texts encoded whole by `tokenizers` (`encode_batch_fast`, one thread, as a worker runs).

Cold: a new process's first chunk (no word known yet); warm: the next chunk of the same
process (its words mostly known). Target: tokens ≤ 25 % of validation time on chat data.

    python -m bench.tokens [--mb 24] [--types chat-finetune-input,...] [--repeat 3]
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as in a worker's pool process
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench import datagen  # noqa: E402
from bench.every_type import DATA  # noqa: E402
from bench.phases import VALIDATION, per_type_command, phases  # noqa: E402
from validators.engine import RuleOptions, evaluate_chunk  # noqa: E402
from validators.parsing import ParseOptions, parse_chunk  # noqa: E402
from validators.registry import spec_for  # noqa: E402
from validators.tokens.counter import TokenCounter, token_counter  # noqa: E402
from validators.tokens.sources import TOKENS, TokenOptions, with_token_facts  # noqa: E402


def _timed(step):  # noqa: ANN001, ANN202
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def measure(kind: str, megabytes: int, repeat: int) -> dict:
    dataset_type = datagen.KINDS[kind][0]
    spec = spec_for(dataset_type)
    data = datagen.dataset(DATA, kind, 48).read_bytes()
    data = data[: data.index(b"\n", megabytes << 20) + 1]
    options = ParseOptions("jsonl", tuple(spec.field_names), spec.field_kinds)
    parsed = parse_chunk(data, options, at_file_start=True)
    _, valid = evaluate_chunk(replace(spec, tokens=None), parsed, RuleOptions("jsonl"))
    shared = token_counter("")
    cold, warm, naive = [], [], []
    facts = None
    for _ in range(repeat):
        token_counter.cache_clear()  # a new process: no word known yet
        seconds, facts = _timed(lambda: with_token_facts(spec.tokens, valid, TokenOptions()))
        cold.append(seconds)
        warm.append(_timed(lambda: with_token_facts(spec.tokens, valid, TokenOptions()))[0])
        texts = spec.tokens.pieces(valid)["text"].fill_null("")
        whole = TokenCounter(shared._tokenizer, shared.name)
        naive.append(_timed(lambda: whole._encoded(texts))[0])  # noqa: B023
    steps = phases(kind, megabytes, repeat)
    validation = sum(steps[step] for step in VALIDATION)
    tokens = int(facts[TOKENS].sum())
    best_cold, best_warm, best_naive = min(cold), min(warm), min(naive)
    return {
        "type": dataset_type,
        "rows": valid.height,
        "tokens": tokens,
        "validation_s": round(validation, 3),
        "cold_s": round(best_cold, 3),
        "warm_s": round(best_warm, 3),
        "whole_s": round(best_naive, 3),
        "cold_share": round(best_cold / validation, 2),
        "warm_share": round(best_warm / validation, 2),
        "tokens_per_s_warm": round(tokens / best_warm),
        "speedup_vs_whole": round(best_naive / best_warm, 1),
    }


def run(megabytes: int = 24, repeat: int = 3, types: set[str] | None = None) -> list[dict]:
    kinds = [
        kind
        for kind in datagen.TYPE_KINDS
        if spec_for(datagen.KINDS[kind][0]).tokens is not None
        and (not types or datagen.KINDS[kind][0] in types)
    ]
    return [{"mb": megabytes, **measure(kind, megabytes, repeat)} for kind in kinds]


def table(rows: list[dict]) -> list[str]:
    lines = [
        f"Tokens of one {rows[0]['mb']} MB chunk per type, one thread (seconds; share = of the "
        "chunk's validation without tokens):",
        "",
        "| type | rows | tokens | validation | tokens, cold | share | tokens, warm | share | "
        "tokens/s (warm) | whole texts by `tokenizers` | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['type']} | {r['rows']:,} | {r['tokens']:,} | {r['validation_s']:.2f} | "
            f"{r['cold_s']:.2f} | {r['cold_share']:.0%} | {r['warm_s']:.2f} | "
            f"{r['warm_share']:.0%} | {r['tokens_per_s_warm'] / 1e6:.1f} M | "
            f"{r['whole_s']:.2f} | {r['speedup_vs_whole']}x |"
        )
    return lines


def main() -> None:
    per_type_command(__doc__, run, table)


if __name__ == "__main__":
    main()
