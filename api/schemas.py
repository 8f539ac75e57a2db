"""marshmallow schemas: each endpoint's request parameters and response bodies."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    pre_load,
    validate,
)

from api.errors import bad_request
from store.records import DatasetOptions
from validators.registry import supported_types
from validators.schema import invalid_field_names

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000_000
MAX_IDEMPOTENCY_KEY = 200
STATUSES = ("unknown", "queued", "processing", "validated", "skipped", "failed")


def unknown_type_message(dataset_type: object) -> str:
    return f"unknown dataset type {dataset_type!r}; supported types: {', '.join(supported_types())}"


def _known_type(dataset_type: str) -> None:
    if dataset_type not in supported_types():
        raise ValidationError(unknown_type_message(dataset_type))


def _boolean() -> fields.Boolean:
    return fields.Boolean(truthy=TRUE_VALUES, falsy=FALSE_VALUES, load_default=False)


_FIELD_NAMES = {"type": "array", "items": {"type": "string"}}


class FieldList(fields.Field):
    """Repeated keys (`a=x&a=y`) or one comma-separated value (`a=x,y`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise ValidationError("must be field names")
        names = [name.strip() for v in values for name in v.split(",") if name.strip()]
        bad = invalid_field_names(names)
        if bad:
            raise ValidationError(f"invalid field names {bad}: use letters, digits and underscores")
        return list(dict.fromkeys(names))


# The create options a dataset's record keeps (validation reads them): DatasetOptions' fields.
RECORD_OPTIONS = tuple(option.name for option in dataclass_fields(DatasetOptions))


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
        validate=_known_type,
        metadata={"enum": supported_types()},
        error_messages={"required": "missing required parameter 'type'"},
    )
    keep_original_file = _boolean()
    skip_malformed_input = _boolean()
    dry_run = _boolean()
    keep_fields = FieldList(load_default=list, metadata=_FIELD_NAMES)
    optional_fields = FieldList(load_default=list, metadata=_FIELD_NAMES)
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


# The options that take several values (repeated keys or one comma-separated value).
LIST_OPTIONS = tuple(
    name
    for name, kind in CreateOptionsSchema._declared_fields.items()
    if isinstance(kind, FieldList)
)


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


class ProfileResponseSchema(Schema):
    profile = fields.Dict(
        required=True,
        metadata={
            "description": "per file (train, eval): rows, valid_rows, fields (count, empty, "
            "blank, min, p50, p95, max, histogram), labels, duplicates, in_train"
        },
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


class FlexibleInteger(fields.Integer):
    """Accepts `10` and `10.0` (the SDK types limit/offset as floats)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError("must be an integer") from exc
        if not number.is_integer():
            raise ValidationError("must be an integer")
        return super()._deserialize(int(number), attr, data, **kwargs)


class UtcDateTime(fields.DateTime):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        text = value.strip().replace(" ", "+") if isinstance(value, str) else value
        moment = super()._deserialize(text, attr, data, **kwargs)
        try:
            utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            utc.timestamp()  # the store counts microseconds since 1970
        except (OverflowError, ValueError) as exc:
            raise ValidationError("is outside the dates Sieve can compare") from exc
        return utc


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


class _OmitNone(Schema):
    @post_dump
    def _drop_unknowns(self, data: dict, **_: Any) -> dict:
        return {key: value for key, value in data.items() if value is not None}


class DatasetPartSchema(_OmitNone):
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


class ProgressSchema(_OmitNone):
    chunks_done = fields.Integer()
    chunks_total = fields.Integer()
    rows_seen = fields.Integer()


class DatasetSchema(_OmitNone):
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


class HealthSchema(Schema):
    ok = fields.Boolean(required=True)


class StatusSchema(Schema):
    queue_depth = fields.Integer(required=True, metadata={"description": "tasks waiting"})
    tasks_in_progress = fields.Integer(
        required=True, metadata={"description": "tasks the live workers say they run"}
    )
    awaiting_redelivery = fields.Integer(
        required=True, metadata={"description": "tasks a dead worker took, to be sent again"}
    )
    workers_alive = fields.Integer(required=True)
    datasets_by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "yours"}
    )


class ErrorSchema(Schema):
    message = fields.String(required=True)


class CreateResponseSchema(Schema):
    id = fields.String(required=True)


class GetResponseSchema(Schema):
    dataset = fields.Nested(DatasetSchema, required=True)


class ListResponseSchema(Schema):
    datasets = fields.List(fields.Nested(DatasetSchema), required=True)


class UsageResponseSchema(Schema):
    organization_usage = fields.Integer(required=True)


class CatalogFieldSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "string, string_list, ..."})
    required = fields.Boolean(required=True)
    description = fields.String(required=True)


class CatalogRuleSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable, as findings carry it"})
    level = fields.String(required=True, metadata={"description": "format, field, row, dataset"})
    checks = fields.String(required=True)
    message = fields.String(required=True)


class DatasetTypeSchema(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    formats = fields.List(fields.String(), required=True)
    fields_ = fields.List(
        fields.Nested(CatalogFieldSchema), required=True, attribute="fields", data_key="fields"
    )
    rules = fields.List(fields.Nested(CatalogRuleSchema), required=True)
    eval_split = fields.Float(allow_none=True)
    example = fields.Dict(required=True, metadata={"description": "a valid row"})


class DatasetTypesResponseSchema(Schema):
    dataset_types = fields.List(fields.Nested(DatasetTypeSchema), required=True)


class DatasetTypeResponseSchema(Schema):
    dataset_type = fields.Nested(DatasetTypeSchema, required=True)


def load_or_400(schema: Schema, data: Any) -> dict[str, Any]:
    """The request's parameters as `schema` loads them; a 400 naming the first problem."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise bad_request(first_error(exc)) from exc


def first_error(error: ValidationError) -> str:
    """One readable sentence out of marshmallow's nested error dict."""
    messages = error.messages
    if isinstance(messages, dict):
        field_name, problems = next(iter(messages.items()))
        problem = problems[0] if isinstance(problems, list) else str(problems)
        return problem if "'" in problem or field_name in problem else f"{field_name}: {problem}"
    return str(messages[0] if isinstance(messages, list) else messages)
