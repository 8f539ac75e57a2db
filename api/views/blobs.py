"""Downloads through signed, expiring capability URLs: no Authorization header needed.

Resumable: a single `Range` (`bytes=A-B`, `bytes=A-`, `bytes=-N`; a suffix longer than the
file selects all of it, as RFC 9110 says) answers 206 with Content-Range; `If-Range` with a
stale ETag gets the whole file; a range starting past the end is 416.
Blobs never change once committed, so the ETag is derived from the key and the size. An
uploaded file (`original_url`) is served from its segments, in order, as one file.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, stream_with_context
from werkzeug.http import parse_range_header

from api.context import sieve
from api.errors import ApiError
from api.operation import documented
from api.schemas import DownloadQuerySchema, RangeHeadersSchema
from store.removal import parse_original_key
from store.segments import Segment, SegmentedFile

bp = Blueprint("blobs", __name__, url_prefix="/v1/blobs")


def _etag(key: str, size: int) -> str:
    return hashlib.sha256(f"{key}\0{size}".encode()).hexdigest()[:32]


def _requested_range(size: int, etag: str, headers: dict) -> tuple[int, int] | None:
    """(start, end) of the one range asked for, None for the whole file; 416 if unsatisfiable."""
    wanted = parse_range_header(headers.get("range"))
    if wanted is None or wanted.units != "bytes" or len(wanted.ranges) != 1:
        return None
    if_range = headers.get("if_range")
    if if_range is not None and if_range.strip().strip('"') != etag:
        return None
    start, end = wanted.ranges[0]
    if start < 0 and end is None and size > 0:  # bytes=-N: the last N, or all of a shorter
        span: tuple[int, int] | None = (max(0, size + start), size)  # file (RFC 9110, 14.1.2)
    else:
        span = wanted.range_for_length(size)
    if span is None:
        raise ApiError(
            416,
            f"the range is outside the file ({size} bytes)",
            {"Content-Range": f"bytes */{size}"},
        )
    return span


def _stored(key: str) -> SegmentedFile:
    """The bytes a signed key names: a blob, or an uploaded file as its segments."""
    stores = sieve().stores
    original = parse_original_key(key)
    if original is not None:
        record = stores.datasets.get(original[0])
        if record is None or original[1] not in record.files:
            raise ApiError(404, "file not found")
        return SegmentedFile(stores.blobs, record.files[original[1]].segments)
    if not stores.blobs.exists(key):
        raise ApiError(404, "file not found")
    return SegmentedFile(stores.blobs, [Segment(key, stores.blobs.size(key))])


@bp.get("/<path:key>")
@documented(
    "Download a stored file (a signed link from a dataset; no API key)",
    query=DownloadQuerySchema,
    headers=RangeHeadersSchema,
    responses={"200": "binary", "206": "binary"},
    errors=("403", "404", "416"),
    secured=False,
)
def download(key: str, query: dict, headers: dict) -> Response:
    stores = sieve().stores
    if not stores.signer.verify(key, query["expires"], query["signature"]):
        raise ApiError(
            403,
            "this download link is invalid or has expired; get the dataset again for a fresh one",
        )
    stored = _stored(key)
    size = stored.size
    etag = _etag(key, size)
    span = _requested_range(size, etag, headers)
    start, end = span or (0, size)
    body = stream_with_context(stored.iter_range(start, end))
    response = Response(
        body,
        status=206 if span else 200,
        mimetype="application/octet-stream",
        direct_passthrough=True,
    )
    response.headers["Content-Length"] = str(end - start)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "private, no-store"
    if span:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return response
