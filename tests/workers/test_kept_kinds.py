"""Kept fields of any JSON kind — string, number, list, object — are stored in the parts and
read back as given, for every dataset type (lists and objects as their JSON text, like every
nested value), through the real pipeline (fakeredis, a temp storage directory)."""

from __future__ import annotations

import json

import pytest

from tests.validators.test_types import valid_rows
from tests.workers.pipeline_run import validated
from validators.registry import supported_types
from workers.parts import read_part


@pytest.mark.parametrize("dataset_type", supported_types())
def test_kept_fields_of_every_kind_are_stored_as_given(make_stores, dataset_type):
    extra = lambda i: {  # noqa: E731
        "tags": [f"t{i}", "x"],
        "meta": {"source": "crawl", "i": i},
        "score": i + 0.5,
        "note": f"n{i}",
    }
    rows = [{**row, **extra(i)} for i, row in enumerate(valid_rows(dataset_type))]
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()
    stores = make_stores(chunk_bytes=4096)
    keep = {"keep_fields": ["tags", "meta", "score", "note"]}
    record, _ = validated(stores, "kept-1", body, dataset_type=dataset_type, options=keep)
    assert record.status == "validated", record.validation_error
    stored = [
        row for part in record.parts for row in read_part(stores.blobs, part["key"]).to_dicts()
    ]
    assert len(stored) == len(rows)
    by_note = {row["note"]: row for row in stored}
    for i in range(len(rows)):
        row = by_note[f"n{i}"]
        assert json.loads(row["tags"]) == [f"t{i}", "x"]
        assert json.loads(row["meta"]) == {"source": "crawl", "i": i}
        assert row["score"] == i + 0.5
