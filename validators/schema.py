"""The Avro schema of a dataset's parts: the type's fields plus the fields the user kept."""

from __future__ import annotations

import json
import re

from validators.spec import DatasetSpec

AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A kept field holds whatever JSON scalar the rows have; nested values are kept as JSON text.
EXTRA_FIELD_TYPE = ["null", "string", "long", "double", "boolean"]


def invalid_field_names(names: list[str]) -> list[str]:
    """Names that can't be Avro field names (letters, digits and underscores only)."""
    return [name for name in names if not AVRO_NAME.match(name)]


def kept_fields(spec: DatasetSpec, keep: list[str], optional: list[str]) -> list[str]:
    extra = [name for name in [*keep, *optional] if name not in spec.field_names]
    return spec.field_names + list(dict.fromkeys(extra))


def avro_schema(spec: DatasetSpec, fields: list[str]) -> dict:
    declared = {f.name: f for f in spec.fields}
    avro_fields = []
    for name in fields:
        if name in declared:
            avro_type = declared[name].kind.avro_type()
            if not declared[name].required:
                avro_fields.append({"name": name, "type": ["null", avro_type], "default": None})
                continue
            avro_fields.append({"name": name, "type": avro_type})
        else:
            avro_fields.append({"name": name, "type": EXTRA_FIELD_TYPE, "default": None})
    return {"type": "record", "name": "Row", "namespace": "sieve", "fields": avro_fields}


def avro_schema_json(spec: DatasetSpec, fields: list[str]) -> str:
    return json.dumps(avro_schema(spec, fields), separators=(",", ":"))
