"""What every resource's schemas share: field kinds, limits, the error body, loading."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
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


def known_type(dataset_type: str) -> None:
    if dataset_type not in supported_types():
        raise ValidationError(unknown_type_message(dataset_type))


def boolean_option() -> fields.Boolean:
    return fields.Boolean(truthy=TRUE_VALUES, falsy=FALSE_VALUES, load_default=False)


FIELD_NAMES_JSON = {"type": "array", "items": {"type": "string"}}


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


class OmitNoneSchema(Schema):
    @post_dump
    def _drop_unknowns(self, data: dict, **_: Any) -> dict:
        return {key: value for key, value in data.items() if value is not None}


class ErrorSchema(Schema):
    message = fields.String(required=True)


def load_or_400(schema: Schema, data: Any) -> dict[str, Any]:
    """The request's parameters as `schema` loads them; a 400 naming the first problem."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise bad_request(first_error(exc)) from exc


def first_error(error: ValidationError) -> str:
    """One readable sentence out of marshmallow's nested error dict."""
    messages: Any = error.messages
    path: list[str] = []
    while isinstance(messages, dict):  # a list's item nests by index: {"events": {0: [...]}}
        key, messages = next(iter(messages.items()))
        path.append(f"[{key}]" if isinstance(key, int) else str(key))
    problem = str(messages[0] if isinstance(messages, list) else messages)
    if not path:
        return problem
    field_name = "".join(path)
    return problem if "'" in problem or path[0] in problem else f"{field_name}: {problem}"
