"""The worker pipeline run in-process over fakeredis and a temp storage directory: an upload
stored and recorded, then planned, validated chunk by chunk and finalized — the functions the
Celery tasks call."""

from __future__ import annotations

from store.removal import upload_prefix
from tests.conftest import queued_record
from workers import pipeline


def validated(stores, dataset_id: str, body: bytes, **record_fields):
    """Store `body` as the dataset's JSONL train file, record it (`record_fields` over the
    defaults of tests.conftest.queued_record) and run the pipeline: the final record and how
    many chunks it took."""
    key = upload_prefix(dataset_id, "train") + "/00000"
    writer = stores.blobs.open_writer(key)
    writer.write(body)
    size = writer.commit()
    files = {"train": {"key": key, "size": size, "format": "jsonl"}}
    stores.datasets.create(queued_record(dataset_id, size=size, files=files, **record_fields), None)
    chunks, _ = pipeline.start(stores, dataset_id)
    for chunk in chunks:
        pipeline.register_attempt(stores, dataset_id, chunk)
        pipeline.validate_chunk(stores, dataset_id, chunk)
    pipeline.finalize(stores, dataset_id)
    return stores.datasets.get(dataset_id), len(chunks)
