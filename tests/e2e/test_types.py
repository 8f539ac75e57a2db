"""Every dataset type through the cohere SDK: train + eval data, wait, and save_dataset returns
exactly the kept fields of the valid rows."""

from __future__ import annotations

import io
import json

import cohere
import pytest
from cohere.utils import SdkUtils, wait

from tests.e2e.conftest import KEYS
from tests.validators.simulate import as_csv, jsonl
from tests.validators.test_types import CSV_TYPES, valid_rows
from validators.registry import supported_types

EVAL_COUNTS = {
    "embed-input": 2,
    "prompt-completion-finetune-input": 2,
    "single-label-classification-finetune-input": 24,
    "multi-label-classification-finetune-input": 24,
    "reranker-finetune-input": 64,
    "chat-finetune-input": 1,
}


@pytest.fixture(scope="module")
def client(stack):
    return cohere.Client(api_key=KEYS["acme"], base_url=stack.url)


def _saved_rows(dataset, path) -> list[dict]:
    SdkUtils.save_dataset(dataset, str(path), "jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("dataset_type", supported_types())
def test_every_type_end_to_end_with_eval_data(client, dataset_type, tmp_path):
    train = [{**row, "note": "dropped"} for row in valid_rows(dataset_type)]
    evaluation = valid_rows(dataset_type, EVAL_COUNTS[dataset_type], prefix="eval ")
    created = client.datasets.create(
        name=dataset_type,
        type=dataset_type,
        data=io.BytesIO(jsonl(train)),
        eval_data=io.BytesIO(jsonl(evaluation)),
    )
    dataset = wait(client, created, timeout=60, interval=0.2).dataset
    expected = [{k: v for k, v in row.items() if k != "note"} for row in train] + evaluation
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
    assert _saved_rows(dataset, tmp_path / "out.jsonl") == rows
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
    assert {(m.label, m.total_examples) for m in label_metrics} == {("a", 15), ("b", 15), ("c", 15)}

    reranker = finished("reranker-finetune-input", valid_rows("reranker-finetune-input"))
    numbers = reranker.metrics.finetune_dataset_metrics.reranker_data_metrics
    assert (
        numbers.num_train_queries,
        numbers.num_train_relevant_passages,
        numbers.num_train_hard_negatives,
    ) == (260, 260, 260)

    chat = finished("chat-finetune-input", valid_rows("chat-finetune-input"))
    assert chat.metrics.finetune_dataset_metrics.chat_data_metrics.num_train_turns == 9


def test_a_type_that_does_not_take_csv_is_refused(stack):
    import requests

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
