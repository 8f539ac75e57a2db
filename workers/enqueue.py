"""How the API hands work to the workers: by task name, with ids only."""

from __future__ import annotations

from celery import Celery

from workers.planning import Chunk


class Enqueuer:
    def __init__(self, celery_app: Celery) -> None:
        self._app = celery_app

    @property
    def app(self) -> Celery:
        """The Celery app, to ask the workers what they run (GET /v1/status)."""
        return self._app

    def start_validation(self, dataset_id: str, request_id: str = "") -> None:
        """`request_id` travels with the work so task logs can be tied to the request."""
        self._app.send_task(
            "workers.start_validation", args=[dataset_id], kwargs={"request_id": request_id}
        )

    def validate_chunk(self, dataset_id: str, chunk: Chunk, request_id: str = "") -> None:
        """A chunk cut while its upload streams in (see api/streaming)."""
        self._app.send_task(
            "workers.validate_chunk",
            args=[dataset_id, chunk.to_dict()],
            kwargs={"request_id": request_id},
        )

    def send_webhooks(self) -> None:
        """Deliver the webhook messages that are due (a test message, just queued)."""
        self._app.send_task("workers.send_webhooks")
