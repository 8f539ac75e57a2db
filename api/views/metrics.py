"""GET /metrics: Prometheus' text format, for scrapers. It holds no dataset content, so it is
served without an API key unless SIEVE_METRICS_TOKEN asks for that bearer token."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request

from api.context import sieve
from api.errors import ApiError
from api.operation import documented
from store import Stores
from store.telemetry import folder_registry
from workers.status import QUEUE, UNACKED, datasets_by_status

bp = Blueprint("metrics", __name__)


class ServiceState:
    """What Redis knows, read at scrape time: the queue, datasets by status, bytes stored."""

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        redis = self._stores.redis
        yield GaugeMetricFamily("sieve_queue_depth", "Tasks waiting", value=redis.llen(QUEUE))
        yield GaugeMetricFamily(
            "sieve_tasks_unacknowledged",
            "Tasks taken and not yet done (a dead worker's too, until redelivered)",
            value=redis.hlen(UNACKED),
        )
        by_status = GaugeMetricFamily("sieve_datasets", "Datasets by status", labels=["status"])
        for status, count in sorted(datasets_by_status(self._stores).items()):
            by_status.add_metric([status], count)
        yield by_status
        yield GaugeMetricFamily(
            "sieve_storage_used_bytes", "Bytes counted against the organizations' quotas",
            value=self._stores.quota.total_usage(),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "sieve_webhook_messages_waiting",
            "Webhook messages not yet delivered nor given up (first tries and retries)",
            value=self._stores.webhooks.waiting(),
        )


@bp.get("/metrics")
@documented(
    "Prometheus metrics: requests, uploads, tasks, validations, queue, datasets, storage",
    responses={"200": "text"},
    errors=("401",),
    secured=False,
)
def metrics() -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    context = sieve()
    token = context.settings.metrics_token
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and not hmac.compare_digest(sent.encode(), token.encode()):
        raise ApiError(401, "GET /metrics needs the bearer token SIEVE_METRICS_TOKEN names")
    registry = folder_registry()
    registry.register(ServiceState(context.stores))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
