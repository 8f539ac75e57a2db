"""Downloads through signed, expiring capability URLs: no Authorization header needed."""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context

from api.context import sieve
from api.errors import ApiError

bp = Blueprint("blobs", __name__, url_prefix="/v1/blobs")


@bp.get("/<path:key>")
def download(key: str) -> Response:
    stores = sieve().stores
    args = request.args
    if not stores.signer.verify(key, args.get("expires", ""), args.get("signature", "")):
        raise ApiError(
            403,
            "this download link is invalid or has expired; get the dataset again for a fresh one",
        )
    if not stores.blobs.exists(key):
        raise ApiError(404, "file not found")
    body = stream_with_context(stores.blobs.iter_range(key))
    response = Response(body, mimetype="application/octet-stream", direct_passthrough=True)
    response.headers["Content-Length"] = str(stores.blobs.size(key))
    response.headers["Cache-Control"] = "private, no-store"
    return response
