"""Many chunks give exactly what one chunk gives: verdict, messages (row numbers!) and rows."""

from __future__ import annotations

import io
import json

import fastavro
import pytest
import requests


def _upload(stack, filename: str, body: bytes, **params) -> dict:
    response = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "chunks", "type": "embed-input", **params},
        files={"data": (filename, body)},
        headers=stack.headers(),
    )
    assert response.status_code == 200, response.text
    return stack.wait_final(response.json()["id"])


def _rows(dataset: dict) -> list[dict]:
    rows = []
    for part in dataset.get("dataset_parts", []):
        rows.extend(fastavro.reader(io.BytesIO(requests.get(part["url"]).content)))
    return rows


def _outcome(dataset: dict) -> tuple:
    return (
        dataset["validation_status"],
        dataset.get("validation_error"),
        dataset.get("validation_warnings"),
        dataset["metrics"]["finetune_dataset_metrics"]["train_examples"]
        if "metrics" in dataset
        else None,
        _rows(dataset),
    )


JSONL_ROWS = [json.dumps({"text": f"line {i} " + "é" * (i % 7), "n": i}) for i in range(120)]
BROKEN = list(JSONL_ROWS)
BROKEN[17] = '{"text": ""}'
BROKEN[64] = '{"text": 42}'
BROKEN[65] = "not json"
BROKEN[101] = '{"other": "x"}'

CSV_ROWS = ["text,label"] + [f'"row {i}, with comma\nand newline",{i}' for i in range(80)]
CSV_BROKEN = list(CSV_ROWS)
CSV_BROKEN[30] = '"",30'


@pytest.mark.parametrize(
    ("filename", "lines", "params"),
    [
        ("ok.jsonl", JSONL_ROWS, {"keep_fields": "n"}),
        ("bad.jsonl", BROKEN, {}),
        ("bad.jsonl", BROKEN, {"skip_malformed_input": "true"}),
        ("ok.csv", CSV_ROWS, {"optional_fields": "label"}),
        ("bad.csv", CSV_BROKEN, {"skip_malformed_input": "true"}),
        ("bad.csv", CSV_BROKEN, {}),
        ("crlf.jsonl", JSONL_ROWS, {"__crlf": True}),
    ],
)
def test_multi_chunk_equals_single_chunk(stack, tiny_chunk_stack, filename, lines, params):
    newline = "\r\n" if params.pop("__crlf", False) else "\n"
    body = (newline.join(lines) + newline).encode()
    single = _upload(stack, filename, body, **params)
    many = _upload(tiny_chunk_stack, filename, body, **params)
    assert many["id"] != single["id"]
    assert _outcome(many) == _outcome(single)
    assert len(many.get("dataset_parts", [])) > 3 or many["validation_status"] == "failed"


def test_row_numbers_are_global_across_chunks(tiny_chunk_stack):
    body = ("\n".join(BROKEN) + "\n").encode()
    dataset = _upload(tiny_chunk_stack, "bad.jsonl", body)
    assert dataset["validation_error"] == "row 18 of the train file: field 'text' is empty"
    assert dataset["validation_warnings"] == [
        "row 65 of the train file: field 'text' must be a string, got a number",
        "row 66 of the train file: is not valid JSON (Expecting value at column 1)",
        "row 102 of the train file: field 'text' is missing",
    ]
