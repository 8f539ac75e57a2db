"""One error shape for every failure: JSON {"message": ...} with the right status code."""

from __future__ import annotations

import logging

import redis
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from store.blobs import StorageFullError, StorageUnavailableError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "dataset not found") -> ApiError:
    return ApiError(404, message)


def unavailable() -> ApiError:
    """Redis (records, quota, the task queue) could not be reached: retryable."""
    return ApiError(
        503, "the service is briefly unavailable; try again shortly", {"Retry-After": "5"}
    )


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.message, error.headers)

    @app.errorhandler(StorageFullError)
    def _storage_full(_: StorageFullError) -> Response:
        return error_response(503, "storage is full; try again later")

    @app.errorhandler(StorageUnavailableError)
    def _storage_unavailable(error: StorageUnavailableError) -> Response:
        log.warning("storage unavailable: %s", error)
        return error_response(503, "storage is unavailable; try again later")

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def _redis_unavailable(error: redis.RedisError) -> Response:
        log.warning("redis unavailable: %s", error)
        return _api_error(unavailable())

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        return error_response(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal server error")
