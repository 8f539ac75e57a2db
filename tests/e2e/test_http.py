"""The wire contract over real HTTP: errors, limits that leave nothing behind, idempotency, dry
runs, downloads through signed URLs."""

from __future__ import annotations

import concurrent.futures
import io
import json

import fastavro
import pytest
import requests

from tests.e2e.conftest import wait_until

MIB = 1024 * 1024
SUPPORTED = [  # the cohere SDK's twelve DatasetType values, and prompt-completion
    "batch-chat-input",
    "batch-chat-v2-input",
    "batch-embed-v2-input",
    "batch-openai-chat-input",
    "chat-finetune-input",
    "cluster-outliers",
    "cluster-result",
    "embed-input",
    "embed-result",
    "multi-label-classification-finetune-input",
    "prompt-completion-finetune-input",
    "reranker-finetune-input",
    "single-label-classification-finetune-input",
]


def _post(stack, files, org="acme", headers=None, **params):
    params.setdefault("name", "t")
    params.setdefault("type", "embed-input")
    return requests.post(
        f"{stack.url}/v1/datasets",
        params=params,
        files=files,
        headers={**stack.headers(org), **(headers or {})},
        timeout=60,
    )


def _jsonl_of_size(size: int) -> bytes:
    line = b'{"text": "' + b"x" * 90 + b'"}\n'
    return line * (size // len(line) + 1)


def _files_of(stack, dataset_id: str) -> list:
    token = dataset_id.rsplit("-", 1)[1]
    return [p for p in stack.stored_files() if token in str(p)]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer nope"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
def test_auth_errors_are_json(stack, headers, status):
    response = requests.get(f"{stack.url}/v1/datasets", headers=headers)
    assert response.status_code == status
    assert "message" in response.json()


def test_bearer_scheme_is_case_insensitive(stack):
    key = stack.headers()["Authorization"].split()[1]
    response = requests.get(
        f"{stack.url}/v1/datasets/usage", headers={"Authorization": f"bearer {key}"}
    )
    assert response.status_code == 200 and "organization_usage" in response.json()


@pytest.mark.parametrize(
    ("params", "files", "message"),
    [
        ({"name": None}, {"data": ("a.jsonl", b'{"text":"a"}\n')}, "name"),
        (
            {"type": "nope"},
            {"data": ("a.jsonl", b'{"text":"a"}\n')},
            "supported types: " + ", ".join(SUPPORTED),
        ),
        ({"csv_delimiter": ";;"}, {"data": ("a.csv", b"text\na\n")}, "exactly one character"),
        ({}, {"data": ("a.jsonl", b"")}, "the data file is empty"),
        (
            {},
            {"data": ("a.jsonl", b'{"text":"a"}\n'), "extra": ("x", b"1")},
            "unexpected file part 'extra'",
        ),
        ({}, {"eval_data": ("a.jsonl", b'{"text":"a"}\n')}, "missing the 'data' file part"),
        ({"name": "n" * 51}, {"data": ("a.jsonl", b'{"text":"a"}\n')}, "name must be 1 to 50"),
        ({}, {"data": ("a.jsonl", b"\x1f\x8b\x08\x00" + b"\x00" * 20)}, "gzip-compressed"),
        (
            {},
            {"data": ("a.csv", "text\nhello\n".encode("utf-16"))},
            "the data file is UTF-16LE (with a BOM), not UTF-8; save it as UTF-8",
        ),
        (
            {},
            {"data": ("a.jsonl", ('{"text": "hello"}\n' * 20).encode("utf-16-be"))},
            "the data file is UTF-16BE, not UTF-8",
        ),
    ],
)
def test_bad_creates_answer_400_and_store_nothing(stack, params, files, message):
    before = stack.uploaded_files()
    query = {"name": "t", "type": "embed-input", **params}
    response = requests.post(
        f"{stack.url}/v1/datasets",
        params={k: v for k, v in query.items() if v is not None},
        files=files,
        headers=stack.headers(),
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert stack.uploaded_files() == before


def test_options_as_multipart_fields_and_file_alias(stack):
    response = requests.post(
        f"{stack.url}/v1/datasets",
        data={"name": "form fields", "type": "embed-input", "delimiter": ";", "keep_fields": "b,c"},
        files={"file": ("x.csv", b"text;b;c\nhello;1;2\n")},
        headers=stack.headers(),
    )
    assert response.status_code == 200, response.text
    dataset = stack.wait_final(response.json()["id"])
    assert dataset["validation_status"] == "validated", dataset
    assert dataset["name"] == "form fields"
    assert dataset["parse_info"]["delimiter"] == ";"
    assert dataset["preserve_fields"] == ["b", "c"]
    assert json.loads(dataset["dataset_parts"][0]["samples"][0]) == {
        "text": "hello",
        "b": "1",
        "c": "2",
    }


def test_unknown_dataset_is_404_and_usage_is_not_an_id(stack):
    assert (
        requests.get(f"{stack.url}/v1/datasets/nope-123", headers=stack.headers()).status_code
        == 404
    )
    assert (
        requests.delete(f"{stack.url}/v1/datasets/nope-123", headers=stack.headers()).status_code
        == 404
    )
    usage = requests.get(f"{stack.url}/v1/datasets/usage", headers=stack.headers())
    assert set(usage.json()) == {"organization_usage"}


def test_too_large_is_413_and_leaves_nothing(stack):
    usage, listed = stack.usage("quota"), [d["id"] for d in stack.list("quota")]
    before = stack.uploaded_files()
    response = _post(stack, {"data": ("big.jsonl", _jsonl_of_size(4 * MIB))}, org="quota")
    assert response.status_code == 413
    assert "larger than the 3.0 MiB limit" in response.json()["message"]
    assert stack.uploaded_files() == before
    assert stack.usage("quota") == usage
    assert [d["id"] for d in stack.list("quota")] == listed


def test_data_and_eval_together_count_against_the_dataset_limit(stack):
    half = _jsonl_of_size(int(1.6 * MIB))
    response = _post(
        stack, {"data": ("a.jsonl", half), "eval_data": ("b.jsonl", half)}, org="quota"
    )
    assert response.status_code == 413


def test_org_capacity_is_enforced_while_streaming_and_released_on_delete(stack):
    quota = stack.headers("quota")
    two_mib = _jsonl_of_size(2 * MIB)
    first = _post(stack, {"data": ("a.jsonl", two_mib)}, org="quota")
    second = _post(stack, {"data": ("b.jsonl", two_mib)}, org="quota")
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    for created in (first, second):  # their validation writes files too: let it finish
        stack.wait_final(created.json()["id"], "quota")
    files_before = stack.uploaded_files()
    third = _post(stack, {"data": ("c.jsonl", two_mib)}, org="quota")
    assert third.status_code == 400
    assert third.json()["message"].startswith("You have exceeded capacity")
    assert stack.uploaded_files() == files_before
    usage = stack.usage("quota")
    assert usage == 2 * len(two_mib)
    for created in (first, second):
        requests.delete(f"{stack.url}/v1/datasets/{created.json()['id']}", headers=quota)
    assert stack.usage("quota") == 0
    assert _post(stack, {"data": ("d.jsonl", two_mib)}, org="quota").status_code == 200


def test_concurrent_uploads_never_overshoot_the_org_cap(stack):
    racers = stack.headers("racers")
    body = _jsonl_of_size(MIB // 4 + 1000)  # 5 MiB cap: at most 19 of the 50 fit

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(
            pool.map(
                lambda i: _post(stack, {"data": (f"{i}.jsonl", body)}, org="racers"), range(50)
            )
        )
    accepted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(accepted) == (5 * MIB) // len(body)
    assert all(r.status_code == 400 and "exceeded capacity" in r.json()["message"] for r in refused)
    usage = stack.usage("racers")
    assert usage == len(accepted) * len(body)
    for response in accepted:
        dataset_id = response.json()["id"]
        stack.wait_final(dataset_id, "racers")
        requests.delete(f"{stack.url}/v1/datasets/{dataset_id}", headers=racers)


def test_idempotency_key_returns_the_same_dataset(stack):
    files = {"data": ("a.jsonl", b'{"text":"once"}\n')}
    headers = {"Idempotency-Key": "retry-me-1"}
    first = _post(stack, files, headers=headers)
    second = _post(stack, files, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert len(_files_of(stack, first.json()["id"])) >= 1
    listed = stack.list()
    assert sum(d["id"] == first.json()["id"] for d in listed) == 1


def test_dry_run_validates_and_keeps_nothing_nor_counts_it_once_judged(stack):
    usage = stack.usage()
    response = _post(stack, {"data": ("a.jsonl", b'{"text":"a"}\n{"text":""}\n')}, dry_run="true")
    assert response.status_code == 200
    dataset = stack.wait_final(response.json()["id"])
    assert dataset["validation_status"] == "failed"
    assert dataset["validation_error"] == "row 2 of the train file: field 'text' is empty"
    assert wait_until(lambda: stack.usage() == usage)  # counted only while it was stored
    listed = stack.list()
    assert response.json()["id"] not in {d["id"] for d in listed}
    assert wait_until(lambda: _files_of(stack, response.json()["id"]) == [])  # just after


def test_part_urls_need_no_auth_and_refuse_tampering(stack):
    response = _post(
        stack, {"data": ("a.txt", b"first line\nsecond line\n")}, keep_original_file="true"
    )
    dataset = stack.wait_final(response.json()["id"])
    part = dataset["dataset_parts"][0]
    download = requests.get(part["url"])
    assert download.status_code == 200 and "Content-Encoding" not in download.headers
    assert [r["text"] for r in fastavro.reader(io.BytesIO(download.content))] == [
        "first line",
        "second line",
    ]
    assert requests.get(part["original_url"]).content == b"first line\nsecond line\n"
    assert requests.get(part["url"].replace("signature=", "signature=0")).status_code == 403
    assert requests.get(part["url"].replace("expires=", "expires=1")).status_code == 403
    other_part = part["url"].replace("train-00000", "train-00001")
    assert requests.get(other_part).status_code == 403
