"""A chunk that holds only labels too rare to keep: its rows are dropped with the usual
warning, whatever the chunking (the pipeline over fakeredis and a temp storage directory)."""

from __future__ import annotations

import json

import pytest

from store.removal import upload_prefix
from tests.conftest import queued_record
from workers import pipeline


def _validated(stores, dataset_id: str, body: bytes):
    writer = stores.blobs.open_writer(upload_prefix(dataset_id, "train") + "/00000")
    writer.write(body)
    size = writer.commit()
    stored = {"key": upload_prefix(dataset_id, "train") + "/00000", "size": size, "format": "jsonl"}
    record = queued_record(
        dataset_id,
        size=size,
        dataset_type="single-label-classification-finetune-input",
        files={"train": stored},
    )
    stores.datasets.create(record, None)
    chunks, _ = pipeline.start(stores, dataset_id)
    for chunk in chunks:
        pipeline.register_attempt(stores, dataset_id, chunk)
        pipeline.validate_chunk(stores, dataset_id, chunk)
    pipeline.finalize(stores, dataset_id)
    return stores.datasets.get(dataset_id), len(chunks)


@pytest.mark.parametrize("chunk_kib", [64, 200, 1024, 4096])
def test_a_chunk_of_rare_labels_only_validates_dropping_them(make_stores, chunk_kib):
    rows = [{"text": f"short text {i}", "label": "ab"[i % 2]} for i in range(60)]
    rows += [{"text": "x" * 300_000 + str(i), "label": f"rare{i}"} for i in range(20)]
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()
    stores = make_stores(chunk_bytes=chunk_kib * 1024)
    record, chunks = _validated(stores, f"rare-{chunk_kib}", body)
    assert chunks > 1
    assert record.status == "validated", record.validation_error
    dropped = [w for w in record.validation_warnings if "fewer than 5" in w]
    assert len(dropped) == 20 and "'rare0' has 1 example" in dropped[0]
    metrics = record.metrics["finetune_dataset_metrics"]
    assert metrics["train_examples"] + metrics["eval_examples"] == 60
