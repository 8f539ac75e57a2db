"""The /v1/datasets resource: create, list, get, delete, usage."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from api.auth import require_organization
from api.context import sieve
from api.creation import create_dataset
from api.errors import not_found
from api.openapi import documented
from api.presenter import dataset_view
from api.schemas import (
    CreateHeadersSchema,
    CreateOptionsSchema,
    CreateResponseSchema,
    CreateUploadSchema,
    GetResponseSchema,
    ListQuerySchema,
    ListResponseSchema,
    UsageResponseSchema,
    load_or_400,
)
from store.datasets import ListQuery
from store.records import DatasetRecord
from store.removal import remove_dataset

bp = Blueprint("datasets", __name__, url_prefix="/v1/datasets")
bp.before_request(require_organization)


def _view(record: DatasetRecord) -> dict:
    ctx = sieve()
    return dataset_view(record, ctx.stores.links, ctx.settings.download_url_ttl_seconds)


@bp.post("")
@documented(
    "Create a dataset: upload its files, validated asynchronously",
    query=CreateOptionsSchema,
    form=CreateUploadSchema(partial=True),
    headers=CreateHeadersSchema,
    response=CreateResponseSchema,
    errors=("400", "408", "409", "413", "422", "429"),
)
def create() -> Response:
    dataset_id = create_dataset(sieve(), g.org, request)
    return jsonify(CreateResponseSchema().dump({"id": dataset_id}))


@bp.get("")
@documented(
    "List datasets, newest first",
    query=ListQuerySchema,
    response=ListResponseSchema,
    errors=("400",),
)
def list_datasets() -> Response:
    query = load_or_400(ListQuerySchema(), request.args.to_dict())
    records = sieve().stores.datasets.list(g.org, ListQuery(**query))
    return jsonify(ListResponseSchema().dump({"datasets": [_view(r) for r in records]}))


@bp.get("/usage")
@documented("Bytes stored by the organization", response=UsageResponseSchema)
def usage() -> Response:
    used = sieve().stores.quota.usage(g.org)
    return jsonify(UsageResponseSchema().dump({"organization_usage": used}))


@bp.get("/<dataset_id>")
@documented("Get a dataset", response=GetResponseSchema, errors=("404",))
def get(dataset_id: str) -> Response:
    record = sieve().stores.datasets.get(dataset_id, org=g.org)
    if record is None:
        raise not_found()
    return jsonify(GetResponseSchema().dump({"dataset": _view(record)}))


@bp.delete("/<dataset_id>")
@documented("Delete a dataset and its files", errors=("404",))
def delete(dataset_id: str) -> Response:
    stores = sieve().stores
    if stores.datasets.get(dataset_id, org=g.org) is None or not remove_dataset(stores, dataset_id):
        raise not_found()
    return jsonify({})
