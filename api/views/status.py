"""The service's state as an API key may see it: the queue, the workers, its own datasets."""

from __future__ import annotations

from flask import Blueprint, g

from api.auth import require_organization
from api.context import sieve
from api.operation import documented
from api.schemas import StatusSchema
from workers.status import system_status

bp = Blueprint("status", __name__, url_prefix="/v1/status")
bp.before_request(require_organization)


@bp.get("")
@documented(
    "Queue depth, tasks running, workers alive; the caller's datasets by status",
    response=StatusSchema,
)
def status() -> dict:
    context = sieve()
    report = system_status(context.stores, context.enqueuer.app, org=g.org)
    report["workers_alive"] = len(report["workers_alive"])  # their host names: the operator's
    return report
