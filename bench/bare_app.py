"""The API-latency baseline: a bare Flask app answering list/get with static bodies of the same
shape, run under the same gunicorn settings as Sieve's web process."""

from __future__ import annotations

from flask import Flask, Response, jsonify

DATASET = {
    "id": "bench-0000000000", "name": "bench", "created_at": "2026-01-01T00:00:00.000000Z",
    "updated_at": "2026-01-01T00:00:00.000000Z", "dataset_type": "embed-input",
    "validation_status": "validated", "required_fields": ["text"], "preserve_fields": [],
}  # fmt: skip


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/v1/datasets")
    def list_datasets() -> Response:
        return jsonify({"datasets": [DATASET] * 20})

    @app.get("/v1/datasets/<dataset_id>")
    def get(dataset_id: str) -> Response:
        return jsonify({"dataset": {**DATASET, "id": dataset_id}})

    return app
