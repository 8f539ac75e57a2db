"""What clients nobody here wrote send, and what any client is owed: the Datasets API without
/v1 (cohere Python 5.0-5.7), cohere-go's multipart (a `data` part without a filename, an empty
`eval_data` part), `Cache-Control: no-store` on authenticated answers, a search field that
exists."""

from __future__ import annotations

import json

import pytest

from api import create_app
from tests.api.test_views import AUTH, RecordingEnqueuer
from tests.workers.test_full_report import _validated


@pytest.fixture
def client(make_stores):
    stores = make_stores()
    stores.api_keys.register("acme", "key-acme")
    return create_app(stores.settings, stores, RecordingEnqueuer()).test_client(), stores


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand, as other languages' clients write it."""
    boundary = "go-boundary-1234"
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += (
            (
                f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_the_datasets_api_answers_without_v1_too(client):
    client, stores = client
    rows = b"".join(b'{"text": "row %d"}\n' % i for i in range(3))
    body, content_type = _multipart([("data", "a.jsonl", rows)])
    created = client.post(
        "/datasets?name=old-sdk&type=embed-input", data=body, content_type=content_type,
        headers=AUTH,
    )  # fmt: skip
    assert created.status_code == 200, created.get_json()
    dataset_id = created.get_json()["id"]
    for path in ("", "/usage", f"/{dataset_id}"):
        old, new = (
            client.get(f"/datasets{path}", headers=AUTH),
            client.get(f"/v1/datasets{path}", headers=AUTH),
        )
        assert old.status_code == new.status_code == 200
        assert old.get_json() == new.get_json()
    assert client.get("/datasets").status_code == 401  # the same key check
    assert client.delete(f"/datasets/{dataset_id}", headers=AUTH).status_code == 200
    assert client.get(f"/v1/datasets/{dataset_id}", headers=AUTH).status_code == 404
    document = client.get("/openapi.json").get_json()
    assert "/v1/datasets" in document["paths"] and "/datasets" not in document["paths"]
    assert "without /v1" in document["info"]["description"]


def test_cohere_go_parts_a_data_part_without_filename_and_an_empty_eval_data(client):
    client, stores = client
    rows = b"".join(b'{"text": "row %d"}\n' % i for i in range(3))
    body, content_type = _multipart([("data", None, rows), ("eval_data", None, b"")])
    response = client.post(
        "/v1/datasets?name=go&type=embed-input", data=body, content_type=content_type, headers=AUTH
    )
    assert response.status_code == 200, response.get_json()
    record = stores.datasets.get(response.get_json()["id"])
    assert set(record.files) == {"train"} and record.files["train"].format == "jsonl"
    assert record.files["train"].size == len(rows)


def test_an_empty_data_part_is_still_refused_with_its_reason(client):
    client, _ = client
    body, content_type = _multipart([("data", None, b""), ("eval_data", None, b"")])
    response = client.post(
        "/v1/datasets?name=go&type=embed-input", data=body, content_type=content_type, headers=AUTH
    )
    assert response.status_code == 400
    assert "empty" in response.get_json()["message"]


def test_authenticated_answers_are_never_cached(client):
    client, _ = client
    assert client.get("/v1/datasets", headers=AUTH).headers["Cache-Control"] == "no-store"
    assert client.get("/v1/datasets/usage", headers=AUTH).headers["Cache-Control"] == "no-store"
    assert client.get("/v1/datasets/nope", headers=AUTH).headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_a_search_names_the_fields_it_can_search(make_stores, tmp_path):
    from tests.workers.test_full_report import AUTH as REPORT_AUTH

    stores = make_stores()
    stores.api_keys.register("acme", "key-acme")
    app = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()
    body = b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(5))
    _validated(stores, "search-1", body)
    for field in ("nonexistent", "text.sub", "te[x]t", "ü", ""):
        response = app.get(f"/v1/datasets/search-1/rows?q=row&field={field}", headers=REPORT_AUTH)
        assert response.status_code == 400, (field, response.get_json())
        assert response.get_json() == {"message": "field must be one of: text"}
    found = app.get("/v1/datasets/search-1/rows?q=ROW 3&field=text", headers=REPORT_AUTH)
    assert [row["data"]["text"] for row in found.get_json()["rows"]] == ["row 3"]


def test_an_optional_field_no_row_gives_is_not_preserved_nor_a_null_column(make_stores):
    from tests.workers.test_full_report import AUTH as REPORT_AUTH

    stores = make_stores()
    stores.api_keys.register("acme", "key-acme")
    app = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()
    body = b"".join(
        json.dumps({"text": f"row {i}", "tag": f"t{i}"}).encode() + b"\n" for i in range(5)
    )
    record, _ = _validated(stores, "optional-1", body, optional=("tag", "never"))
    assert record.status == "validated"
    dataset = app.get("/v1/datasets/optional-1", headers=REPORT_AUTH).get_json()["dataset"]
    assert dataset["preserve_fields"] == ["tag"]
    rows = app.get("/v1/datasets/optional-1/rows", headers=REPORT_AUTH).get_json()["rows"]
    assert [set(row["data"]) for row in rows] == [{"text", "tag"}] * 5


def test_cohere_js_parts_a_blob_named_blob(client):
    """cohere-ai given a Blob names the part's file `blob`: the content tells the format."""
    client, stores = client
    rows = b"text\nrow 1\nrow 2\n"
    body, content_type = _multipart([("data", "blob", rows)])
    response = client.post(
        "/v1/datasets?name=js&type=embed-input", data=body, content_type=content_type, headers=AUTH
    )
    assert response.status_code == 200, response.get_json()
    record = stores.datasets.get(response.get_json()["id"])
    assert record.files["train"].format == "csv" and record.files["train"].name == "blob"
