"""Liveness, readiness and the service's status."""

from __future__ import annotations

from marshmallow import (
    Schema,
    fields,
)


class HealthSchema(Schema):
    ok = fields.Boolean(required=True)


class StatusSchema(Schema):
    queue_depth = fields.Integer(required=True, metadata={"description": "tasks waiting"})
    tasks_in_progress = fields.Integer(
        required=True, metadata={"description": "tasks the live workers say they run"}
    )
    awaiting_redelivery = fields.Integer(
        required=True, metadata={"description": "tasks a dead worker took, to be sent again"}
    )
    workers_alive = fields.Integer(required=True)
    datasets_by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "yours"}
    )
