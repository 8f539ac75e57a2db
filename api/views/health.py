"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint

from api.context import sieve
from api.errors import ApiError
from api.operation import documented
from api.schemas import HealthSchema

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@documented("Liveness: the process answers", response=HealthSchema, secured=False)
def healthz() -> dict:
    return {"ok": True}


@bp.get("/readyz")
@documented("Readiness: Redis and the storage answer", response=HealthSchema, secured=False)
def readyz() -> dict:
    stores = sieve().stores
    try:
        stores.redis.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        raise ApiError(503, f"redis is unreachable: {type(exc).__name__}") from exc
    problem = stores.blobs.health_problem()
    if problem is not None:
        raise ApiError(503, f"storage: {problem}")
    return {"ok": True}
