"""What a dataset holds: the report's query, rows and searches, the profile."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    fields,
    validate,
)

from api.schemas.common import MAX_OFFSET, FlexibleInteger


class ProfileResponseSchema(Schema):
    profile = fields.Dict(
        required=True,
        metadata={
            "description": "per file (train, eval): rows, valid_rows, fields (count, empty, "
            "blank, min, p50, p95, max, histogram), labels, duplicates, in_train"
        },
    )


MAX_ROWS_PAGE = 100


class RowsQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    offset = FlexibleInteger(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_OFFSET, error=f"offset must be 0 to {MAX_OFFSET}"),
    )
    limit = FlexibleInteger(
        load_default=20,
        validate=validate.Range(
            min=1, max=MAX_ROWS_PAGE, error=f"limit must be 1 to {MAX_ROWS_PAGE}"
        ),
    )
    file = fields.String(
        load_default="train",
        validate=validate.OneOf(("train", "eval"), error="file must be train or eval"),
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200, error="q must be 1 to 200 characters"),
        metadata={"description": "a substring to find (case-insensitive)"},
    )
    field = fields.String(
        load_default=None, metadata={"description": "the field q searches (default: the first)"}
    )


class StoredRowSchema(Schema):
    position = fields.Integer(required=True, metadata={"description": "0-based, in the file"})
    data = fields.Dict(required=True)


class RowsResponseSchema(Schema):
    file = fields.String(required=True)
    offset = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "rows (searched, with q)"})
    rows = fields.List(fields.Nested(StoredRowSchema), required=True)
    query = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    matches = fields.Integer(allow_none=True, metadata={"description": "with q: found so far"})
    partial = fields.Boolean(
        required=True, metadata={"description": "the search ran out of time before the end"}
    )


class ReportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(
        load_default="jsonl",
        validate=validate.OneOf(("jsonl", "csv"), error="format must be jsonl or csv"),
    )
    code = fields.String(load_default=None, metadata={"description": "only this rule's findings"})
    file = fields.String(
        load_default=None,
        validate=validate.OneOf(("train", "eval"), error="file must be train or eval"),
    )
    limit = FlexibleInteger(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_OFFSET, error=f"limit must be 1 to {MAX_OFFSET}"),
        metadata={"description": "at most this many findings (default: all)"},
    )
