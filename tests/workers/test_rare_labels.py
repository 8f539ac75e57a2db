"""A chunk that holds only labels too rare to keep: its rows are dropped with the usual
warning, whatever the chunking (the pipeline over fakeredis and a temp storage directory)."""

from __future__ import annotations

import json

import pytest

from tests.workers.pipeline_run import validated


@pytest.mark.parametrize("chunk_kib", [64, 200, 1024, 4096])
def test_a_chunk_of_rare_labels_only_validates_dropping_them(make_stores, chunk_kib):
    rows = [{"text": f"short text {i}", "label": "ab"[i % 2]} for i in range(60)]
    rows += [{"text": "x" * 300_000 + str(i), "label": f"rare{i}"} for i in range(20)]
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()
    stores = make_stores(chunk_bytes=chunk_kib * 1024)
    record, chunks = validated(
        stores, f"rare-{chunk_kib}", body, dataset_type="single-label-classification-finetune-input"
    )
    assert chunks > 1
    assert record.status == "validated", record.validation_error
    dropped = [w for w in record.validation_warnings if "fewer than 5" in w]
    assert len(dropped) == 20 and "'rare0' has 1 example" in dropped[0]
    metrics = record.metrics["finetune_dataset_metrics"]
    assert metrics["train_examples"] + metrics["eval_examples"] == 60
