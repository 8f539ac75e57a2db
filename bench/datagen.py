"""Seeded, realistic datasets of a given size, for every dataset type (embed-input as CSV too)."""

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


def _sentences(rng: random.Random, i: int, most: int) -> list[str]:
    return [_sentence(rng, i + n) for n in range(rng.randint(1, most))]


def _multi_label(rng: random.Random, i: int) -> dict:
    labels = sorted({f"label-{rng.randint(0, 9)}" for _ in range(rng.randint(1, 3))})
    return {"text": _sentence(rng, i), "label": labels}


def _prompt_completion(rng: random.Random, i: int) -> dict:
    return {"prompt": _sentence(rng, i), "completion": _sentence(rng, i + 1)}


def _reranker(rng: random.Random, i: int) -> dict:
    row = {"query": _sentence(rng, i), "relevant_passages": _sentences(rng, i, 2)}
    if rng.random() < 0.7:
        row["hard_negatives"] = _sentences(rng, i + 7, 2)
    return row


def _batch_embed_v2(rng: random.Random, i: int) -> dict:
    body = {
        "input_type": rng.choice(["search_document", "search_query", "classification"]),
        "texts": _sentences(rng, i, 5),
        "embedding_types": ["float"],
        "truncate": "END",
    }
    return {"custom_id": f"request-{i}", "body": body}


def _v2_messages(rng: random.Random, i: int, assistant: str) -> list[dict]:
    messages = [{"role": "system", "content": "You answer briefly."}]
    for turn in range(rng.randint(1, 2)):
        messages.append({"role": "user", "content": _sentence(rng, i + turn)})
        messages.append({"role": assistant, "content": _sentence(rng, i + turn + 1)})
    return [*messages[:-1]]  # ends on the user's turn, as a request does


def _batch_chat_v2(rng: random.Random, i: int) -> dict:
    body = {"messages": _v2_messages(rng, i, "assistant"), "temperature": 0.3, "max_tokens": 256}
    return {"custom_id": f"request-{i}", "body": body}


def _batch_openai_chat(rng: random.Random, i: int) -> dict:
    body = {"model": "gpt-4o-mini", "messages": _v2_messages(rng, i, "assistant")}
    body["max_tokens"] = 256
    return {
        "custom_id": f"request-{i}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": body,
    }


def _batch_chat_v1(rng: random.Random, i: int) -> dict:
    history = [
        {"role": role, "message": _sentence(rng, i + n)}
        for n, role in enumerate(["USER", "CHATBOT"] * rng.randint(0, 2))
    ]
    body = {"message": _sentence(rng, i), "chat_history": history, "temperature": 0.3}
    return {"custom_id": f"request-{i}", "body": body}


def _embed_result(rng: random.Random, i: int) -> dict:
    vector = [round(rng.uniform(-1, 1), 6) for _ in range(32)]
    return {"text": _sentence(rng, i), "embeddings": {"float": vector}}


def _cluster_result(rng: random.Random, i: int) -> dict:
    return {
        "id": f"cluster-{i}",
        "description": _sentence(rng, i),
        "keywords": rng.sample(WORDS, 3),
        "size": rng.randint(1, 500),
        "sample_elements": _sentences(rng, i, 3),
    }


def _cluster_outlier(rng: random.Random, i: int) -> dict:
    return {"text": _sentence(rng, i)}


KINDS: dict[str, tuple[str, str, Callable[[random.Random, int], dict]]] = {
    # kind: (dataset type, format, row maker)
    "embed-jsonl": ("embed-input", "jsonl", _embed),
    "embed-csv": ("embed-input", "csv", _embed),
    "classify-jsonl": ("single-label-classification-finetune-input", "jsonl", _classification),
    "chat-jsonl": ("chat-finetune-input", "jsonl", _chat),
    "multi-label-jsonl": ("multi-label-classification-finetune-input", "jsonl", _multi_label),
    "prompt-completion-jsonl": ("prompt-completion-finetune-input", "jsonl", _prompt_completion),
    "reranker-jsonl": ("reranker-finetune-input", "jsonl", _reranker),
    "batch-embed-v2-jsonl": ("batch-embed-v2-input", "jsonl", _batch_embed_v2),
    "batch-chat-v2-jsonl": ("batch-chat-v2-input", "jsonl", _batch_chat_v2),
    "batch-openai-chat-jsonl": ("batch-openai-chat-input", "jsonl", _batch_openai_chat),
    "batch-chat-jsonl": ("batch-chat-input", "jsonl", _batch_chat_v1),
    "embed-result-jsonl": ("embed-result", "jsonl", _embed_result),
    "cluster-result-jsonl": ("cluster-result", "jsonl", _cluster_result),
    "cluster-outliers-jsonl": ("cluster-outliers", "jsonl", _cluster_outlier),
}
# One file per dataset type, for the table of every type (bench/every_type.py).
TYPE_KINDS = [kind for kind in KINDS if kind != "embed-csv"]


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
