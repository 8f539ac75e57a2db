"""How the API hands work to the workers: by task name, with ids only."""

from __future__ import annotations

from celery import Celery


class Enqueuer:
    def __init__(self, celery_app: Celery) -> None:
        self._app = celery_app

    def start_validation(self, dataset_id: str) -> None:
        self._app.send_task("workers.start_validation", args=[dataset_id])
