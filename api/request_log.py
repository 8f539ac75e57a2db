"""One JSON log line per request, with a request id that follows the work into the tasks; and
the request counted in the metrics."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, request

from store.logs import configure_json_logging, log_event
from store.telemetry import metric

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return g.get("request_id", "")


def install_request_logging(app: Flask) -> None:
    configure_json_logging()

    @app.before_request
    def _start() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        _count(response)
        log_event(
            "request",
            request_id=current_request_id(),
            method=request.method,
            path=request.path if not request.path.startswith("/v1/blobs/") else "/v1/blobs/…",
            status=response.status_code,
            duration_ms=round(
                (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1
            ),
            org=g.get("org"),
            dataset_id=(request.view_args or {}).get("dataset_id") or g.get("dataset_id"),
            bytes_in=request.content_length,
        )
        return response


def _count(response: Response) -> None:
    """The request in the metrics, by its route's rule (bounded: never the path itself)."""
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    took = time.perf_counter() - g.get("started", time.perf_counter())
    metric("requests").labels(request.method, route, str(response.status_code)).inc()
    metric("request_seconds").labels(request.method, route).observe(took)
