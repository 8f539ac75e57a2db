"""The datasets resource: create options and headers, the list's query, the Dataset object."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
)

from api.schemas.common import (
    FIELD_NAMES_JSON,
    MAX_IDEMPOTENCY_KEY,
    MAX_LIMIT,
    MAX_OFFSET,
    STATUSES,
    FieldList,
    FlexibleInteger,
    OmitNoneSchema,
    UtcDateTime,
    boolean_option,
    known_type,
)
from validators.registry import supported_types


class CreateOptionsSchema(Schema):
    """Options of POST /v1/datasets, from the query string and/or multipart text fields."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=50, error="name must be 1 to 50 characters"),
        error_messages={"required": "missing required parameter 'name'"},
    )
    type = fields.String(
        required=True,
        validate=known_type,
        metadata={"enum": supported_types()},
        error_messages={"required": "missing required parameter 'type'"},
    )
    keep_original_file = boolean_option()
    skip_malformed_input = boolean_option()
    dry_run = boolean_option()
    keep_fields = FieldList(load_default=list, metadata=FIELD_NAMES_JSON)
    optional_fields = FieldList(load_default=list, metadata=FIELD_NAMES_JSON)
    text_separator = fields.String(
        load_default=None, validate=validate.Length(min=1, error="text_separator can't be empty")
    )
    csv_delimiter = fields.String(
        load_default=None,
        validate=validate.Length(equal=1, error="csv_delimiter must be exactly one character"),
    )
    delimiter = fields.String(load_only=True, metadata={"description": "alias of csv_delimiter"})

    @pre_load
    def _aliases(self, data: dict, **_: Any) -> dict:
        data = dict(data)
        if "csv_delimiter" not in data and "delimiter" in data:
            data["csv_delimiter"] = data["delimiter"]
        return data

    @post_load
    def _delimiter_is_usable(self, data: dict, **_: Any) -> dict:
        if data.get("csv_delimiter") in {'"', "\n", "\r"}:
            raise ValidationError("csv_delimiter can't be a quote or a line break", "csv_delimiter")
        return data


LIST_OPTIONS = tuple(
    name
    for name, kind in CreateOptionsSchema._declared_fields.items()
    if isinstance(kind, FieldList)
)


class CreateHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default="",
        validate=validate.Length(
            max=MAX_IDEMPOTENCY_KEY,
            error=f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY} characters",
        ),
        metadata={"description": "the same key (same organization, 24 h) returns the same dataset"},
    )


class ListQuerySchema(Schema):
    """Query of GET /v1/datasets."""

    class Meta:
        unknown = EXCLUDE

    dataset_type = fields.String(load_default=None, data_key="datasetType")
    validation_status = fields.String(
        load_default=None,
        data_key="validationStatus",
        validate=validate.OneOf(
            STATUSES, error="validationStatus must be one of " + ", ".join(STATUSES)
        ),
    )
    before = UtcDateTime(load_default=None)
    after = UtcDateTime(load_default=None)
    limit = FlexibleInteger(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_LIMIT, error=f"limit must be 1 to {MAX_LIMIT}"),
    )
    offset = FlexibleInteger(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_OFFSET, error=f"offset must be 0 to {MAX_OFFSET}"),
    )

    @pre_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        data = dict(data)
        if "datasetType" not in data and "dataset_type" in data:
            data["datasetType"] = data["dataset_type"]
        if "validationStatus" not in data and "validation_status" in data:
            data["validationStatus"] = data["validation_status"]
        if isinstance(data.get("validationStatus"), str):
            data["validationStatus"] = data["validationStatus"].lower()
        return data


class DatasetPartSchema(OmitNoneSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    index = fields.Integer()
    url = fields.String()
    original_url = fields.String()
    size_bytes = fields.Integer()
    num_rows = fields.Integer()
    samples = fields.List(fields.String())


class RuleCountSchema(Schema):
    file = fields.String(required=True)
    code = fields.String(required=True)
    count = fields.Integer(required=True)


class ValidationReportSchema(Schema):
    findings = fields.Integer(required=True, metadata={"description": "every finding, no cap"})
    by_rule = fields.List(fields.Nested(RuleCountSchema), required=True)
    path = fields.String(required=True, metadata={"description": "the full report's path"})
    failing_warnings = fields.Integer(
        metadata={"description": "how many of the first validation_warnings fail it too"}
    )


class ProgressSchema(OmitNoneSchema):
    chunks_done = fields.Integer()
    chunks_total = fields.Integer()
    rows_seen = fields.Integer()


class DatasetSchema(OmitNoneSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    dataset_type = fields.String(required=True)
    validation_status = fields.String(required=True)
    validation_error = fields.String()
    validation_warnings = fields.List(fields.String())
    schema = fields.String()
    required_fields = fields.List(fields.String())
    preserve_fields = fields.List(fields.String())
    dataset_parts = fields.List(fields.Nested(DatasetPartSchema))
    parse_info = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    metrics = fields.Dict()
    progress = fields.Nested(ProgressSchema)
    validation_report = fields.Nested(ValidationReportSchema)
    profile = fields.Dict(
        metadata={"description": "per file: rows, fields' lengths, labels (in full: /profile)"}
    )


class CreateResponseSchema(Schema):
    id = fields.String(required=True)


class GetResponseSchema(Schema):
    dataset = fields.Nested(DatasetSchema, required=True)


class ListResponseSchema(Schema):
    datasets = fields.List(fields.Nested(DatasetSchema), required=True)


class UsageResponseSchema(Schema):
    organization_usage = fields.Integer(required=True)
