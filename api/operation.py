"""A view's operation, declared once (`@documented(...)`): the OpenAPI document reads it
(api/openapi.py), and the view gets its request loaded and checked by the same schemas —
flask-smorest's `arguments` and `response` in one decorator.

A view names what it wants as keyword parameters: `query` (the query string, by `query`),
`body` (a JSON object, by `body`), `headers` (by `headers`, matched case-insensitively); a bad
value answers 400 with the first problem. A dict the view returns is dumped by `response`.
A multipart upload is streamed, so its form is documented here and read by api/creation.py.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import jsonify, request
from marshmallow import Schema

from api.errors import bad_request
from api.schemas import load_or_400


@dataclass(frozen=True)
class Operation:
    summary: str
    query: type[Schema] | None = None
    form: type[Schema] | None = None  # multipart/form-data fields, files included
    body: type[Schema] | str | None = None  # a JSON body's schema, or a CONTENT kind
    headers: type[Schema] | None = None
    response: type[Schema] | None = None  # the JSON body of a success
    status: int = 200  # a success's status (201: something was created)
    responses: dict[str, str] | None = None  # other bodies by status: a CONTENT kind
    errors: tuple[str, ...] = ()
    secured: bool = True
    listed: bool = True  # False only for what is not API (the docs page's static assets)


def documented(summary: str, **details: Any) -> Callable[[Callable], Callable]:
    """Declare a view's operation (see the module's docstring)."""
    operation = Operation(summary, **details)

    def declare(view: Callable) -> Callable:
        wanted = set(inspect.signature(view).parameters)

        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            kwargs.update(_loaded(operation, wanted))
            answer = view(*args, **kwargs)
            if isinstance(answer, dict) and operation.response is not None:
                dumped = jsonify(operation.response().dump(answer))
                dumped.status_code = operation.status
                return dumped
            return answer

        run.openapi_operation = operation  # type: ignore[attr-defined]
        return run

    return declare


def _loaded(operation: Operation, wanted: set[str]) -> dict[str, Any]:
    loaded: dict[str, Any] = {}
    if "query" in wanted and operation.query is not None:
        loaded["query"] = load_or_400(operation.query(), request.args.to_dict())
    if "body" in wanted and isinstance(operation.body, type):
        loaded["body"] = load_or_400(operation.body(), json_body())
    if "headers" in wanted and operation.headers is not None:
        schema = operation.headers()
        names = [field.data_key or name for name, field in schema.fields.items()]
        sent = {name: request.headers[name] for name in names if name in request.headers}
        loaded["headers"] = load_or_400(schema, sent)
    return loaded


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request("send a JSON object (Content-Type: application/json)")
    return body
