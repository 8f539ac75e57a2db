"""Every dataset type through the cohere SDK: train + eval data, wait, and save_dataset returns
exactly the kept fields of the valid rows; a rule broken once names row and field path, and
skip_malformed_input drops exactly that row; the automatic eval split; Cohere's label rule."""

from __future__ import annotations

import io
import json
import time
import typing

import cohere
import fastavro
import polars as pl
import pytest
import requests
from cohere.types import DatasetType
from cohere.utils import SdkUtils, wait

from tests.e2e.conftest import KEYS
from tests.validators.broken_rows import NESTED_BROKEN_ROWS, ROW
from tests.validators.simulate import as_csv, jsonl
from tests.validators.test_types import CSV_TYPES, as_stored, valid_rows
from validators.registry import spec_for, supported_types

SDK_TYPES = typing.get_args(typing.get_args(DatasetType)[0])


def test_every_sdk_dataset_type_is_supported():
    assert len(SDK_TYPES) == 12 and set(SDK_TYPES) <= set(supported_types())


@pytest.fixture(scope="module")
def client(stack):
    return cohere.Client(api_key=KEYS["acme"], base_url=stack.url)


def _saved_rows(dataset, path) -> list[dict]:
    SdkUtils.save_dataset(dataset, str(path), "jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("dataset_type", supported_types())
def test_every_type_end_to_end_with_eval_data(client, dataset_type, tmp_path):
    train = [{**row, "note": "dropped"} for row in valid_rows(dataset_type)]
    evaluation = valid_rows(dataset_type, spec_for(dataset_type).rows_needed("eval"), "eval ")
    created = client.datasets.create(
        name=dataset_type,
        type=dataset_type,
        data=io.BytesIO(jsonl(train)),
        eval_data=io.BytesIO(jsonl(evaluation)),
    )
    dataset = wait(client, created, timeout=60, interval=0.2).dataset
    kept = [{k: v for k, v in row.items() if k != "note"} for row in train]
    expected = as_stored(dataset_type, kept) + as_stored(dataset_type, evaluation)
    saved = _saved_rows(dataset, tmp_path / "out.jsonl")
    if dataset_type == "reranker-finetune-input":
        assert all(set(row) == {"query", "relevant_passages", "hard_negatives"} for row in saved)
    assert saved == expected
    metrics = dataset.metrics.finetune_dataset_metrics
    assert (metrics.train_examples, metrics.eval_examples) == (len(train), len(evaluation))
    client.datasets.delete(created.id)


@pytest.mark.parametrize("dataset_type", CSV_TYPES)
def test_csv_uploads_give_the_same_rows(client, dataset_type, tmp_path):
    rows = valid_rows(dataset_type)
    created = client.datasets.create(name="csv", type=dataset_type, data=io.BytesIO(as_csv(rows)))
    dataset = wait(client, created, timeout=60, interval=0.2).dataset
    saved = _saved_rows(dataset, tmp_path / "out.jsonl")  # fine-tune types: split by hash
    assert sorted(map(json.dumps, saved)) == sorted(map(json.dumps, rows))
    client.datasets.delete(created.id)


def test_metrics_for_classification_reranker_and_chat(client):
    def finished(dataset_type, rows):
        created = client.datasets.create(name="m", type=dataset_type, data=io.BytesIO(jsonl(rows)))
        return wait(client, created, timeout=60, interval=0.2).dataset

    labels = finished(
        "single-label-classification-finetune-input",
        valid_rows("single-label-classification-finetune-input"),
    )
    label_metrics = labels.metrics.finetune_dataset_metrics.classify_data_metrics.label_metrics
    assert {m.label: m.total_examples for m in label_metrics} == {
        label: n for label, n in labels_in_train(labels).items()
    }
    assert all(len(m.samples) == 3 for m in label_metrics)

    rows = [{**r, "hard_negatives": ["n"]} for r in valid_rows("reranker-finetune-input")]
    reranker = finished("reranker-finetune-input", rows)
    metrics = reranker.metrics.finetune_dataset_metrics
    numbers = metrics.reranker_data_metrics
    assert numbers.num_train_queries == metrics.train_examples
    assert numbers.num_eval_queries == metrics.eval_examples
    assert numbers.num_train_queries + numbers.num_eval_queries == 261
    assert numbers.num_train_hard_negatives + numbers.num_eval_hard_negatives == 261

    conversations = valid_rows("chat-finetune-input")
    chat = finished("chat-finetune-input", conversations)
    metrics = chat.metrics.finetune_dataset_metrics
    assert metrics.chat_data_metrics.num_train_turns == 3 * metrics.train_examples
    # Tokens, as the SDK reads them: the train rows' (80 % of them, after the split).
    from validators.tokens.counter import token_counter

    every = token_counter("").count(
        pl.Series([turn["content"] for row in conversations for turn in row["messages"]])
    )
    assert 0.6 * every.sum() < metrics.trainable_token_count < every.sum()
    assert metrics.tokenizer.startswith("claude (tokenizer.json of the anthropic")


def test_a_type_that_does_not_take_csv_is_refused(stack):
    response = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "x", "type": "chat-finetune-input"},
        files={"data": ("chat.csv", b"messages\nhello\n")},
        headers=stack.headers(),
    )
    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "chat-finetune-input accepts jsonl files; the data file is csv"
    )


def settled(client, dataset_id: str):
    """The dataset once final (the SDK's wait() raises on a failed one)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dataset = client.datasets.get(dataset_id).dataset
        if dataset.validation_status in ("validated", "failed"):
            return dataset
        time.sleep(0.1)
    raise TimeoutError(dataset_id)


def part_records(part) -> list[dict]:
    """One part's records, read as the SDK reads them (fastavro over its signed URL)."""
    with requests.get(part.url, stream=True, timeout=30) as response:
        return list(fastavro.reader(response.raw))


def labels_in_train(dataset) -> dict[str, int]:
    """Label counts of the train parts, read back through the SDK's own reader."""
    counts: dict[str, int] = {}
    for part in dataset.dataset_parts:
        if part.name.startswith("train-"):
            for record in part_records(part):
                counts[record["label"]] = counts.get(record["label"], 0) + 1
    return counts


@pytest.mark.parametrize(("dataset_type", "broken", "error"), NESTED_BROKEN_ROWS)
def test_a_nested_rule_broken_once(client, dataset_type, broken, error, tmp_path):
    rows = valid_rows(dataset_type)
    rows[2] = broken
    failed = client.datasets.create(name="b", type=dataset_type, data=io.BytesIO(jsonl(rows)))
    failed = settled(client, failed.id)
    assert (failed.validation_status, failed.validation_error) == ("failed", ROW + error)
    skipped = client.datasets.create(
        name="s", type=dataset_type, data=io.BytesIO(jsonl(rows)), skip_malformed_input=True
    )
    skipped = wait(client, skipped, timeout=60, interval=0.2).dataset
    assert skipped.validation_warnings == [f"{ROW}{error} (row dropped)"]
    saved = _saved_rows(skipped, tmp_path / "out.jsonl")
    assert saved == as_stored(dataset_type, rows[:2] + rows[3:])
    for dataset in (failed, skipped):
        client.datasets.delete(dataset.id)


def test_no_eval_data_splits_80_20_by_row_hash(client, tmp_path):
    rows = valid_rows("chat-finetune-input", 200)
    created = client.datasets.create(
        name="split", type="chat-finetune-input", data=io.BytesIO(jsonl(rows))
    )
    dataset = wait(client, created, timeout=60, interval=0.2).dataset
    metrics = dataset.metrics.finetune_dataset_metrics
    assert metrics.train_examples + metrics.eval_examples == 200
    assert 25 <= metrics.eval_examples <= 55  # 20% by hash
    assert dataset.validation_warnings == [
        f"no eval_data was given: {metrics.eval_examples} of the 200 train examples (20%, "
        "chosen by a hash of each row, so the same whatever the chunking) were set aside "
        "for evaluation, as Cohere does"
    ]
    names = [part.name for part in dataset.dataset_parts]
    assert names == ["train-00000", "eval-00000"]
    saved = _saved_rows(dataset, tmp_path / "out.jsonl")
    assert sorted(map(json.dumps, saved)) == sorted(map(json.dumps, rows))


def test_labels_with_too_few_examples_are_removed(client):
    rows = valid_rows("multi-label-classification-finetune-input")
    rows[0] = {"text": "rare", "label": ["a", "z"]}
    rows[1] = {"text": "rarer", "label": ["z"]}
    created = client.datasets.create(
        name="labels",
        type="multi-label-classification-finetune-input",
        data=io.BytesIO(jsonl(rows)),
    )
    dataset = wait(client, created, timeout=60, interval=0.2).dataset
    assert dataset.validation_status == "validated"
    assert dataset.validation_warnings[0] == (
        "label 'z' has 2 examples in the train file, fewer than 5: it was removed "
        "(it was taken off its examples), as Cohere does"
    )
    labels = dataset.metrics.finetune_dataset_metrics.classify_data_metrics.label_metrics
    assert sorted(m.label for m in labels) == ["a", "b", "c"]
    records = [record for part in dataset.dataset_parts for record in part_records(part)]
    assert len(records) == len(rows)
    assert {"text": "rarer", "label": []} in records
