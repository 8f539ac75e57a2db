"""The API's OpenAPI document, generated from the app's own route table and the marshmallow
schemas the views load and dump with — nothing about a parameter is restated here.

Each view declares its operation once with `@documented(...)` (api/operation.py): the schemas
of its query, form fields, headers, body and response, which also load and check its request.
`build_spec` walks every route of the app; a route without a declaration is an error (tests
fail on it), so the document can't drift from the code.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify

from api.operation import Operation, documented

bp = Blueprint("openapi", __name__)
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
ERRORS = {
    "400": "Bad parameter or bad file",
    "401": "Missing or unknown API key",
    "403": "The download link is invalid or has expired",
    "404": "No such dataset (or upload, or webhook) for this organization",
    "408": "The upload stalled or was slower than the minimum rate",
    "409": "Conflicts with the present state: an Idempotency-Key still in flight, an upload "
    "already completed, a limit of webhooks reached, a disabled webhook",
    "413": "Larger than the dataset limit",
    "416": "The requested range is outside the file",
    "422": "This Idempotency-Key was used for a different request",
    "429": "Too many creates with this key",
    "503": "Redis or the storage is briefly unavailable (or the storage is full)",
}
CONTENT = {
    "binary": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "html": {"text/html": {"schema": {"type": "string"}}},
    "text": {"text/plain": {"schema": {"type": "string"}}},
    "json": {"application/json": {"schema": {"type": "object"}}},
    "ndjson": {
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


class UndocumentedRouteError(LookupError):
    """A route has no `@documented` declaration."""


def _success(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if operation.response is not None:
        content = {"application/json": {"schema": operation.response}}
        description = "Created" if operation.status == 201 else "OK"
        responses[str(operation.status)] = {"description": description, "content": content}
    for code, kind in (operation.responses or {}).items():
        description = "Partial content" if code == "206" else "OK"
        responses[code] = {"description": description, "content": CONTENT[kind]}
    if not responses:
        empty = {"type": "object", "maxProperties": 0}
        responses["200"] = {"description": "OK", "content": {"application/json": {"schema": empty}}}
    return responses


def _operation(operation: Operation, path_arguments: list[str]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in path_arguments
    ]
    for location, schema in (("query", operation.query), ("header", operation.headers)):
        if schema is not None:
            parameters.append({"in": location, "schema": schema})
    responses = _success(operation)
    codes = (*operation.errors, *(("401",) if operation.secured else ()), "503")
    for code in dict.fromkeys(codes):
        responses[code] = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": "Error"}},
        }
    document: dict[str, Any] = {
        "summary": operation.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if operation.form is not None:
        content = {"multipart/form-data": {"schema": operation.form}}
        document["requestBody"] = {"required": True, "content": content}
    elif isinstance(operation.body, str):
        document["requestBody"] = {"required": True, "content": CONTENT[operation.body]}
    elif operation.body is not None:
        content = {"application/json": {"schema": operation.body}}
        document["requestBody"] = {"required": True, "content": content}
    if not operation.secured:
        document["security"] = []
    return document


def build_spec(app: Flask) -> dict[str, Any]:
    from api import UNVERSIONED
    from api.schemas import ErrorSchema

    about = (
        "Cohere's Datasets API, self-hosted. Every /v1/datasets path is served without /v1 "
        "too (/datasets...): the cohere Python SDK 5.0 to 5.7 keeps /v1 in its base URL."
    )
    spec = APISpec(
        "Sieve", "1.0.0", "3.0.3", plugins=[MarshmallowPlugin()], info={"description": about}
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        operation = getattr(view, "openapi_operation", None)
        if operation is None:
            raise UndocumentedRouteError(f"route {rule.rule} ({rule.endpoint}) is not documented")
        if not operation.listed or rule.endpoint.split(".")[0].endswith(UNVERSIONED):
            continue  # the same operation as under /v1 (api.create_app serves both)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # <int:n>, <path:p>, <x>
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            paths.setdefault(path, {})[method.lower()] = _operation(
                operation, sorted(rule.arguments)
            )
    for path, operations in sorted(paths.items()):
        spec.path(path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@bp.get("/openapi.json")
@documented("This OpenAPI document", responses={"200": "json"}, secured=False)
def openapi() -> Response:
    return jsonify(build_spec(current_app))
