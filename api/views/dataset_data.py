"""What a dataset holds, beyond its record: its full report, its profile, its rows."""

from __future__ import annotations

from flask import Blueprint, Response, g, stream_with_context

from api.auth import require_organization
from api.context import sieve
from api.errors import ApiError, not_found
from api.operation import documented
from api.schemas import (
    ProfileResponseSchema,
    ReportQuerySchema,
    RowsQuerySchema,
    RowsResponseSchema,
)
from api.searching import run_search
from store.records import DatasetRecord, Status
from validators.full_report import report_text
from validators.registry import spec_for
from validators.schema import kept_fields
from workers.full_report import read_report
from workers.rows import page, search

bp = Blueprint("dataset_data", __name__, url_prefix="/v1/datasets")
bp.before_request(require_organization)


def final_record(dataset_id: str) -> DatasetRecord:
    """The caller's dataset once it has its verdict (404 / 409 otherwise)."""
    record = sieve().stores.datasets.get(dataset_id, org=g.org)
    if record is None:
        raise not_found()
    if not record.terminal:
        raise ApiError(409, "validation is still running: ask again once it is done")
    return record


@bp.get("/<dataset_id>/report")
@documented(
    "Every finding of the dataset (no cap; ?code, ?file, ?limit narrow it): JSONL or CSV",
    query=ReportQuerySchema,
    responses={"200": "ndjson"},
    errors=("400", "404", "409"),
)
def report(dataset_id: str, query: dict) -> Response:
    form = query["format"]
    record = final_record(dataset_id)
    chosen = {name: query[name] for name in ("code", "file", "limit")}
    lines = read_report(sieve().stores.blobs, record, **chosen)
    mimetype = "text/csv" if form == "csv" else "application/x-ndjson"
    body = report_text(lines, form)
    filename = f"{record.id}-report.{form}"
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/<dataset_id>/rows")
@documented(
    "A page of the validated rows (?offset, ?limit ≤ 100, ?file), or the matches of ?q",
    query=RowsQuerySchema,
    response=RowsResponseSchema,
    errors=("400", "404", "409"),
)
def rows(dataset_id: str, query: dict) -> dict:
    record = final_record(dataset_id)
    if record.status != Status.VALIDATED:
        raise ApiError(409, f"the dataset {record.status.value}: no rows were kept")
    blobs, role = sieve().stores.blobs, query["file"]
    offset, limit = query["offset"], query["limit"]
    if query["q"] is None:
        found = page(blobs, record, role, offset, limit)
        column = None
    else:
        column = _searched_field(record, query["field"])
        found = run_search(
            sieve().stores,
            g.org,
            lambda deadline: search(
                blobs, record, role, query["q"], column, offset, limit, deadline
            ),
        )
    answer = {
        "file": role,
        "offset": offset,
        "limit": limit,
        "total": found.total,
        "rows": [
            {"position": position, "data": row}
            for position, row in zip(found.positions, found.rows, strict=True)
        ],
        "query": query["q"],
        "field": column,
        "matches": found.matches,
        "partial": found.partial,
    }
    return answer


def _searched_field(record: DatasetRecord, asked: str | None) -> str:
    """The field a search reads: one the rows have (default: the type's first)."""
    spec = spec_for(record.dataset_type)
    options = record.options
    searchable = kept_fields(spec, list(options.keep_fields), list(options.optional_fields))
    if asked is None:
        return searchable[0]
    if asked not in searchable:
        raise ApiError(400, f"field must be one of: {', '.join(searchable)}")
    return asked


@bp.get("/<dataset_id>/profile")
@documented(
    "The data profile: each field's lengths (a histogram), labels, duplicates, overlap",
    response=ProfileResponseSchema,
    errors=("404", "409"),
)
def profile(dataset_id: str) -> dict:
    return {"profile": final_record(dataset_id).profile or {}}
