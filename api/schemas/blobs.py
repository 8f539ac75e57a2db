"""Signed downloads: the link's query and the Range headers."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    fields,
)


class DownloadQuerySchema(Schema):
    """The signature of a download link (made by the server, checked by the blob route)."""

    class Meta:
        unknown = EXCLUDE

    expires = fields.String(load_default="")
    signature = fields.String(load_default="")


class RangeHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    range = fields.String(
        data_key="Range", metadata={"description": "one byte range: bytes=A-B, bytes=A-, bytes=-N"}
    )
    if_range = fields.String(
        data_key="If-Range", metadata={"description": "the ETag the range was taken from"}
    )
