"""The API's OpenAPI document, generated from the same marshmallow schemas the views use."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, jsonify

from api.schemas import (
    CreateResponseSchema,
    ErrorSchema,
    GetResponseSchema,
    ListQuerySchema,
    ListResponseSchema,
    UsageResponseSchema,
)
from validators.registry import supported_types

bp = Blueprint("openapi", __name__)

_ERRORS = {
    "400": "Bad parameter or bad file",
    "401": "Missing or unknown API key",
    "404": "No such dataset for this organization",
    "408": "The upload stalled or was slower than the minimum rate",
    "413": "Larger than the dataset limit",
    "429": "Too many creates with this key",
    "503": "Redis or the storage is briefly unavailable (or the storage is full)",
}


def _json(schema: str | dict) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: str | dict, *errors: str) -> dict[str, Any]:
    responses = {"200": {"description": "OK", **_json(ok)}}
    for code in (*errors, "503"):
        responses[code] = {"description": _ERRORS[code], **_json("Error")}
    return responses


def _create_operation() -> dict[str, Any]:
    query = [
        {
            "in": "query",
            "name": "name",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 50},
        },
        {
            "in": "query",
            "name": "type",
            "required": True,
            "schema": {"type": "string", "enum": supported_types()},
        },
        *[
            {"in": "query", "name": flag, "schema": {"type": "boolean"}}
            for flag in ("keep_original_file", "skip_malformed_input", "dry_run")
        ],
    ]
    body = {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "string", "format": "binary"},
            "eval_data": {"type": "string", "format": "binary"},
        },
    }
    return {
        "summary": "Create a dataset",
        "parameters": query,
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": body}}},
        "responses": _responses("CreateResponse", "400", "401", "408", "413", "429"),
    }


def build_spec() -> dict[str, Any]:
    spec = APISpec("Sieve", "1.0.0", "3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in (
        ("Error", ErrorSchema),
        ("CreateResponse", CreateResponseSchema),
        ("GetResponse", GetResponseSchema),
        ("ListResponse", ListResponseSchema),
        ("UsageResponse", UsageResponseSchema),
    ):
        spec.components.schema(name, schema=schema)
    dataset_id = {
        "in": "path",
        "name": "dataset_id",
        "required": True,
        "schema": {"type": "string"},
    }
    spec.path(
        "/v1/datasets",
        operations={
            "get": {
                "summary": "List datasets",
                "parameters": [{"in": "query", "schema": ListQuerySchema}],
                "responses": _responses("ListResponse", "400", "401"),
            },
            "post": _create_operation(),
        },
    )
    spec.path(
        "/v1/datasets/usage",
        operations={
            "get": {
                "summary": "Bytes stored by the organization",
                "responses": _responses("UsageResponse", "401"),
            },
        },
    )
    spec.path(
        "/v1/datasets/{dataset_id}",
        operations={
            "get": {
                "summary": "Get a dataset",
                "parameters": [dataset_id],
                "responses": _responses("GetResponse", "401", "404"),
            },
            "delete": {
                "summary": "Delete a dataset",
                "parameters": [dataset_id],
                "responses": _responses({"type": "object", "maxProperties": 0}, "401", "404"),
            },
        },
    )
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_spec())
