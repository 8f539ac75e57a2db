"""Seeded, realistic datasets of a given size: embed-input (JSONL, CSV), classification, chat."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

WORDS = [
    "data", "model", "token", "learning", "vector", "search", "query", "answer", "river", "market",
    "energy", "policy", "garden", "planet", "signal", "memory", "history", "science", "music",
    "health", "travel", "city", "ocean", "light", "story", "system", "network", "language", "image",
]  # fmt: skip


def _sentence(rng: random.Random, index: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 40))
    return f"{index}: " + " ".join(words)


def _embed(rng: random.Random, i: int) -> dict:
    return {"text": _sentence(rng, i), "source": f"doc-{i % 997}"}


def _classification(rng: random.Random, i: int) -> dict:
    return {"text": _sentence(rng, i), "label": f"label-{rng.randint(0, 9)}"}


def _chat(rng: random.Random, i: int) -> dict:
    turns = [{"role": "System", "content": "You are helpful."}]
    for _ in range(rng.randint(1, 3)):
        turns += [
            {"role": "User", "content": _sentence(rng, i)},
            {"role": "Chatbot", "content": _sentence(rng, i + 1)},
        ]
    return {"messages": turns}


KINDS: dict[str, tuple[str, str, Callable[[random.Random, int], dict]]] = {
    # kind: (dataset type, format, row maker)
    "embed-jsonl": ("embed-input", "jsonl", _embed),
    "embed-csv": ("embed-input", "csv", _embed),
    "classify-jsonl": ("single-label-classification-finetune-input", "jsonl", _classification),
    "chat-jsonl": ("chat-finetune-input", "jsonl", _chat),
}


def _lines(kind: str, seed: int) -> Iterator[str]:
    _, fmt, make = KINDS[kind]
    rng = random.Random(seed)
    index = 0
    if fmt == "csv":
        first = make(rng, 0)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(first), lineterminator="\n")
        writer.writeheader()
        yield buffer.getvalue()
    while True:
        row = make(rng, index)
        index += 1
        if fmt == "csv":
            buffer = io.StringIO()
            csv.DictWriter(buffer, fieldnames=list(row), lineterminator="\n").writerow(row)
            yield buffer.getvalue()
        else:
            yield json.dumps(row) + "\n"


def dataset(directory: Path, kind: str, size_mb: int, seed: int = 7) -> Path:
    """The file for (kind, size), generated once and cached under `directory`."""
    fmt = KINDS[kind][1]
    path = directory / f"{kind}-{size_mb}mb.{fmt}"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    target = size_mb * 1024 * 1024
    temp = path.with_suffix(".partial")
    with open(temp, "w", encoding="utf-8") as out:
        written = 0
        batch: list[str] = []
        for line in _lines(kind, seed):
            if written + len(line.encode("utf-8")) > target:
                break  # never over the size asked for (1536 MB must fit the 1.5 GiB limit)
            batch.append(line)
            written += len(line.encode("utf-8"))
            if len(batch) >= 10_000:
                out.write("".join(batch))
                batch = []
        out.write("".join(batch))
    temp.rename(path)
    return path
