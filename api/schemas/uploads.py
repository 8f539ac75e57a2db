"""Resumable uploads: opening one, its parts, completing it."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    fields,
    pre_load,
    validate,
)

from api.schemas.datasets import CreateOptionsSchema


class CreateUploadSchema(CreateOptionsSchema):
    """The multipart body of POST /v1/datasets: the files, and the options as text fields."""

    data = fields.Raw(
        required=True, metadata={"type": "string", "format": "binary", "description": "the file"}
    )
    eval_data = fields.Raw(
        metadata={"type": "string", "format": "binary", "description": "an evaluation file"}
    )
    file = fields.Raw(
        metadata={"type": "string", "format": "binary", "description": "alias of data"}
    )


MIB = 1024 * 1024
MIN_PART_BYTES = 256 * 1024
MAX_PART_BYTES = 512 * MIB
DEFAULT_PART_BYTES = 16 * MIB


class OpenUploadSchema(CreateOptionsSchema):
    """JSON body of POST /v1/uploads: the create options and the file about to be sent."""

    filename = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255, error="filename must be 1 to 255 characters"),
        metadata={"description": "its format is told by its extension, as for an upload"},
    )
    size = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, error="size must be at least 1 byte"),
        metadata={"description": "the file's exact size in bytes"},
    )
    part_size = fields.Integer(
        strict=True,
        load_default=DEFAULT_PART_BYTES,
        validate=validate.Range(
            min=MIN_PART_BYTES,
            max=MAX_PART_BYTES,
            error=f"part_size must be {MIN_PART_BYTES} to {MAX_PART_BYTES} bytes",
        ),
        metadata={"description": "every part but the last has this size"},
    )

    @pre_load
    def _json_booleans(self, data: dict, **_: Any) -> dict:
        return {k: str(v).lower() if isinstance(v, bool) else v for k, v in data.items()}


class UploadPartSchema(Schema):
    number = fields.Integer(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)


class UploadSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    dataset_type = fields.String(required=True)
    filename = fields.String(required=True)
    size = fields.Integer(required=True)
    part_size = fields.Integer(required=True)
    part_count = fields.Integer(required=True)
    state = fields.String(required=True, metadata={"enum": ["open", "completing", "completed"]})
    created_at = fields.String(required=True)
    expires_at = fields.String(required=True)
    parts = fields.List(fields.Nested(UploadPartSchema), required=True)
    dataset_id = fields.String(metadata={"description": "once completed"})


class UploadResponseSchema(Schema):
    upload = fields.Nested(UploadSchema, required=True)


class PartHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    sha256 = fields.String(
        data_key="X-Content-SHA256",
        required=True,
        error_messages={"required": "send the part's SHA-256 in the X-Content-SHA256 header"},
        metadata={"description": "the part's SHA-256, 64 hex digits"},
    )


class PartResponseSchema(Schema):
    part = fields.Nested(UploadPartSchema, required=True)


class CompleteUploadSchema(Schema):
    sha256 = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="sha256 must be 64 hex digits"),
        error_messages={"required": "send the whole file's SHA-256 as 'sha256'"},
        metadata={"description": "the whole file's SHA-256"},
    )
