"""The rule catalog: every type, read off the specs; its example rows validate; every code a
finding carries is in it; unknown types are a clear 404."""

from __future__ import annotations

import pytest

from api import create_app
from tests.api.test_views import RecordingEnqueuer
from tests.validators.broken_rows import NESTED_BROKEN_ROWS
from tests.validators.simulate import jsonl, validate
from tests.validators.test_types import valid_rows
from validators.engine import RuleOptions, evaluate_chunk
from validators.parsing import ParseOptions, parse_chunk
from validators.registry import spec_for, supported_types
from validators.schema import kept_fields


@pytest.fixture
def catalog(make_stores):
    stores = make_stores()
    client = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()
    response = client.get("/v1/dataset-types")
    assert response.status_code == 200
    return {entry["name"]: entry for entry in response.get_json()["dataset_types"]}, client


def test_the_catalog_lists_every_type_with_fields_and_rules(catalog):
    types, _ = catalog
    assert list(types) == supported_types()
    embed = types["batch-embed-v2-input"]
    assert embed["formats"] == ["jsonl"]
    assert [(f["name"], f["kind"], f["required"]) for f in embed["fields"]] == [
        ("custom_id", "string", True),
        ("body", "json", True),
    ]
    codes = {rule["code"]: rule for rule in embed["rules"]}
    assert codes["custom_id|unique"]["level"] == "dataset"
    assert codes["body.texts|items"]["message"] == "must have 1 to 96 items, has N"
    assert codes["body.input_type|one_of"]["checks"].startswith("'body.input_type' is one of")


@pytest.mark.parametrize("dataset_type", supported_types())
def test_each_example_row_validates(catalog, dataset_type):
    """The example is the spec's own: a file of enough such rows passes."""
    example = catalog[0][dataset_type]["example"]
    assert example == spec_for(dataset_type).example(0)
    verdict, _ = validate(dataset_type, {"train": ("jsonl", jsonl(valid_rows(dataset_type)))})
    assert verdict.status == "validated", verdict


@pytest.mark.parametrize(("dataset_type", "broken", "error"), NESTED_BROKEN_ROWS)
def test_every_code_a_finding_carries_is_in_the_catalog(catalog, dataset_type, broken, error):
    spec = spec_for(dataset_type)
    fields = tuple(kept_fields(spec, [], []))
    parsed = parse_chunk(jsonl([broken]), ParseOptions("jsonl", fields, spec.field_kinds))
    report, _ = evaluate_chunk(spec, parsed, RuleOptions("jsonl"))
    codes = {rule["code"] for rule in catalog[0][dataset_type]["rules"]}
    assert set(report.rule_counts) <= codes


def test_one_type_and_an_unknown_one(catalog):
    _, client = catalog
    one = client.get("/v1/dataset-types/cluster-result").get_json()["dataset_type"]
    assert one["name"] == "cluster-result" and one["example"] == {"id": "id 0"}
    missing = client.get("/v1/dataset-types/nope")
    assert missing.status_code == 404
    assert missing.get_json()["message"].startswith("unknown dataset type 'nope'; supported")
