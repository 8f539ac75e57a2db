"""The /v1/datasets resource: create, list, get, delete, usage."""

from __future__ import annotations

from flask import Blueprint, g, request

from api.auth import require_organization
from api.context import sieve
from api.creation import create_dataset
from api.errors import not_found
from api.operation import documented
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
def create() -> dict:
    return {"id": create_dataset(sieve(), g.org, request)}  # reads its streamed form itself


@bp.get("")
@documented(
    "List datasets, newest first",
    query=ListQuerySchema,
    response=ListResponseSchema,
    errors=("400",),
)
def list_datasets(query: dict) -> dict:
    records = sieve().stores.datasets.list(g.org, ListQuery(**query))
    return {"datasets": [_view(r) for r in records]}


@bp.get("/usage")
@documented("Bytes stored by the organization", response=UsageResponseSchema)
def usage() -> dict:
    return {"organization_usage": sieve().stores.quota.usage(g.org)}


@bp.get("/<dataset_id>")
@documented("Get a dataset", response=GetResponseSchema, errors=("404",))
def get(dataset_id: str) -> dict:
    record = sieve().stores.datasets.get(dataset_id, org=g.org)
    if record is None:
        raise not_found()
    return {"dataset": _view(record)}


@bp.delete("/<dataset_id>")
@documented("Delete a dataset and its files", errors=("404",))
def delete(dataset_id: str) -> dict:
    stores = sieve().stores
    if stores.datasets.get(dataset_id, org=g.org) is None or not remove_dataset(stores, dataset_id):
        raise not_found()
    return {}
