"""Views over fakeredis with the Flask test client (fast; the real stack is in tests/e2e)."""

from __future__ import annotations

import pytest

from api import create_app
from tests.conftest import queued_record


class RecordingEnqueuer:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.chunks: list[tuple[str, object]] = []

    def start_validation(self, dataset_id: str, request_id: str = "") -> None:
        self.started.append(dataset_id)

    def validate_chunk(self, dataset_id: str, chunk: object, request_id: str = "") -> None:
        self.chunks.append((dataset_id, chunk))


@pytest.fixture
def app_and_stores(make_stores):
    stores = make_stores()
    stores.api_keys.register("acme", "key-acme")
    enqueuer = RecordingEnqueuer()
    app = create_app(stores.settings, stores, enqueuer)
    return app.test_client(), stores, enqueuer


AUTH = {"Authorization": "Bearer key-acme"}


def test_progress_is_shown_while_processing(app_and_stores):
    client, stores, _ = app_and_stores
    stores.datasets.create(queued_record("p-1"), None)
    stores.datasets.transition("p-1", "processing", chunks_total=4)
    stores.datasets.save_chunk_report("p-1", 0, {"x": 1}, 1000)
    dataset = client.get("/v1/datasets/p-1", headers=AUTH).get_json()["dataset"]
    assert dataset["validation_status"] == "processing"
    assert dataset["progress"] == {"chunks_done": 1, "chunks_total": 4, "rows_seen": 1000}
    stores.datasets.transition("p-1", "validated", parts=[])
    assert "progress" not in client.get("/v1/datasets/p-1", headers=AUTH).get_json()["dataset"]


def test_create_enqueues_and_answers_the_id(app_and_stores):
    client, stores, enqueuer = app_and_stores
    response = client.post(
        "/v1/datasets?name=My%20Set&type=embed-input",
        headers=AUTH,
        data={"data": (__import__("io").BytesIO(b'{"text": "a"}\n'), "upload")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    dataset_id = response.get_json()["id"]
    assert dataset_id.startswith("my-set-") and enqueuer.started == [dataset_id]
    record = stores.datasets.get(dataset_id)
    assert record.files["train"].format == "jsonl" and not record.receiving
    # the query said name and type: its one chunk went out as the upload ended
    assert record.status == "processing" and [c[0] for c in enqueuer.chunks] == [dataset_id]
    assert stores.quota.usage("acme") == len(b'{"text": "a"}\n')


def test_errors_are_json_everywhere(app_and_stores):
    client, _, _ = app_and_stores
    for response in (
        client.get("/v1/nothing-here"),
        client.put("/v1/datasets", headers=AUTH),
        client.get("/v1/datasets?limit=abc", headers=AUTH),
    ):
        assert response.status_code in (400, 404, 405)
        assert set(response.get_json()) == {"message"}


def test_create_is_rate_limited_per_key_with_retry_after(make_stores):
    import io

    stores = make_stores(create_rate_per_minute=2)
    stores.api_keys.register("acme", "key-acme")
    stores.api_keys.register("acme", "key-acme-2")
    client = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()

    def create(key: str):
        return client.post(
            "/v1/datasets?name=r&type=embed-input",
            headers={"Authorization": f"Bearer {key}"},
            data={"data": (io.BytesIO(b'{"text": "a"}\n'), "a.jsonl")},
            content_type="multipart/form-data",
        )

    assert [create("key-acme").status_code for _ in range(2)] == [200, 200]
    limited = create("key-acme")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "retry in" in limited.get_json()["message"]
    assert create("key-acme-2").status_code == 200  # the limit is per key


def test_a_create_that_cannot_be_enqueued_is_503_and_leaves_nothing(make_stores):
    import io

    from kombu.exceptions import OperationalError

    class BrokenQueue:
        def start_validation(self, dataset_id: str, request_id: str = "") -> None:
            raise OperationalError("Error 111 connecting to the broker")

    stores = make_stores()
    stores.api_keys.register("acme", "key-acme")
    client = create_app(stores.settings, stores, BrokenQueue()).test_client()
    response = client.post(
        "/v1/datasets?name=lost&type=embed-input",
        headers=AUTH,
        data={"data": (io.BytesIO(b'{"text": "a"}\n'), "a.jsonl")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    assert response.get_json() == {
        "message": "the service is briefly unavailable; try again shortly"
    }
    assert response.headers["Retry-After"] == "5"
    assert client.get("/v1/datasets", headers=AUTH).get_json() == {"datasets": []}
    assert stores.quota.usage("acme") == 0
    assert [p for p in stores.settings.storage_root.rglob("*") if p.is_file()] == []
