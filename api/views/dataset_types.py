"""The rule catalog: every dataset type with its formats, fields and rules (public: it holds no
one's data)."""

from __future__ import annotations

from flask import Blueprint

from api.errors import ApiError
from api.operation import documented
from api.schemas import DatasetTypeResponseSchema, DatasetTypesResponseSchema, unknown_type_message
from validators.catalog import catalog
from validators.registry import spec_for

bp = Blueprint("dataset_types", __name__, url_prefix="/v1/dataset-types")


@bp.get("")
@documented(
    "The rule catalog: every dataset type, its formats, fields and rules",
    response=DatasetTypesResponseSchema,
    secured=False,
)
def list_types() -> dict:
    return {"dataset_types": [entry.to_dict() for entry in catalog()]}


@bp.get("/<name>")
@documented(
    "One dataset type of the rule catalog",
    response=DatasetTypeResponseSchema,
    errors=("404",),
    secured=False,
)
def get_type(name: str) -> dict:
    if spec_for(name) is None:
        raise ApiError(404, unknown_type_message(name))
    entry = next(entry for entry in catalog() if entry.name == name)
    return {"dataset_type": entry.to_dict()}
