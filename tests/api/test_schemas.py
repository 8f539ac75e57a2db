"""Request parsing accepts what the SDK sends and what the seed spec describes."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from api.schemas import CreateOptionsSchema, ListQuerySchema


def test_list_options_accept_repeated_or_comma_separated():
    loaded = CreateOptionsSchema().load(
        {"name": "n", "type": "embed-input", "keep_fields": ["a", "b,c"], "optional_fields": "d, e"}
    )
    assert loaded["keep_fields"] == ["a", "b", "c"] and loaded["optional_fields"] == ["d", "e"]


def test_delimiter_alias_and_booleans():
    loaded = CreateOptionsSchema().load(
        {"name": "n", "type": "embed-input", "delimiter": ";", "dry_run": "true"}
    )
    assert loaded["csv_delimiter"] == ";" and loaded["dry_run"] is True


@pytest.mark.parametrize(
    "data",
    [
        {"type": "embed-input"},
        {"name": "n", "type": "unknown"},
        {"name": "n", "type": "embed-input", "csv_delimiter": ",,"},
        {"name": "n", "type": "embed-input", "dry_run": "maybe"},
        {"name": "n", "type": "embed-input", "keep_fields": "bad name"},
    ],
)
def test_bad_create_options(data):
    with pytest.raises(ValidationError):
        CreateOptionsSchema().load(data)


def test_list_query_accepts_sdk_floats_aliases_and_any_case():
    loaded = ListQuerySchema().load(
        {
            "limit": "10.0",
            "offset": "2",
            "validationStatus": "Validated",
            "dataset_type": "embed-input",
            "before": "2026-01-01T00:00:00Z",
        }
    )
    assert loaded["limit"] == 10 and loaded["offset"] == 2
    assert loaded["validation_status"] == "validated" and loaded["dataset_type"] == "embed-input"
    assert loaded["before"].tzinfo is not None


@pytest.mark.parametrize(
    "data",
    [
        {"limit": "1.5"},
        {"limit": "0"},
        {"offset": "-1"},
        {"before": "yesterday"},
        {"limit": "7908457586803414663168"},
        {"offset": "1e30"},
    ],
)
def test_bad_list_queries(data):
    with pytest.raises(ValidationError):
        ListQuerySchema().load(data)
