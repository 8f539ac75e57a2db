"""The rule catalog: types, fields, rules."""

from __future__ import annotations

from marshmallow import (
    Schema,
    fields,
)


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
