"""The /v1/uploads resource: resumable uploads of big files, in parts (api/resumable.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from api import resumable
from api.auth import require_organization
from api.context import sieve
from api.operation import documented
from api.schemas import (
    CompleteUploadSchema,
    CreateResponseSchema,
    OpenUploadSchema,
    PartHeadersSchema,
    PartResponseSchema,
    UploadResponseSchema,
)
from api.upload_timeouts import guarded_request_body
from store.uploads import ResumableUpload, UploadState

bp = Blueprint("uploads", __name__, url_prefix="/v1/uploads")
bp.before_request(require_organization)


def _upload_view(upload: ResumableUpload) -> dict[str, Any]:
    view = {
        "id": upload.id,
        "name": upload.name,
        "dataset_type": upload.dataset_type,
        "filename": upload.filename,
        "size": upload.size,
        "part_size": upload.part_size,
        "part_count": upload.part_count,
        "state": upload.state.value,
        "created_at": upload.created_at,
        "expires_at": upload.expires,
        "parts": [upload.parts[n] for n in sorted(upload.parts)],
    }
    if upload.state is UploadState.COMPLETED:
        view["dataset_id"] = upload.dataset_id
    return {"upload": view}


@bp.post("")
@documented(
    "Open a resumable upload: declare the file, then send its parts",
    body=OpenUploadSchema,
    response=UploadResponseSchema,
    errors=("400", "413"),
)
def open_upload(body: dict) -> dict:
    return _upload_view(resumable.open_upload(sieve(), g.org, body))


@bp.get("/<upload_id>")
@documented("An upload and the parts received", response=UploadResponseSchema, errors=("404",))
def get(upload_id: str) -> dict:
    return _upload_view(resumable.find_upload(sieve(), g.org, upload_id))


@bp.put("/<upload_id>/parts/<int:number>")
@documented(
    "Send part N (1-based) of the file, with its SHA-256; sent again, it replaces the first",
    headers=PartHeadersSchema,
    body="binary",
    response=PartResponseSchema,
    errors=("400", "404", "408", "409"),
)
def put_part(upload_id: str, number: int, headers: dict) -> dict:
    ctx = sieve()
    sha256 = headers["sha256"].strip().lower()
    with guarded_request_body(request, ctx.settings) as body:
        part = resumable.put_part(
            ctx, g.org, upload_id, number, body, request.content_length, sha256
        )
    return {"part": part}


@bp.post("/<upload_id>/complete")
@documented(
    "Complete the upload with the whole file's SHA-256: the dataset it becomes",
    body=CompleteUploadSchema,
    response=CreateResponseSchema,
    errors=("400", "404", "409"),
)
def complete(upload_id: str, body: dict) -> dict:
    return {"id": resumable.complete(sieve(), g.org, upload_id, body["sha256"].lower())}


@bp.delete("/<upload_id>")
@documented(
    "Abort the upload: its parts are removed and its reservation given back", errors=("404", "409")
)
def abort(upload_id: str) -> dict:
    resumable.abort(sieve(), g.org, upload_id)
    return {}
