"""Streaming in the web process, in memory: chunks go out while the upload is read."""

from __future__ import annotations

import io
import json

from api import create_app
from tests.api.test_views import RecordingEnqueuer

AUTH = {"Authorization": "Bearer key-acme"}


def test_a_big_upload_sends_chunks_before_its_end(make_stores):
    stores = make_stores(chunk_bytes=64 * 1024)
    stores.api_keys.register("acme", "key-acme")
    enqueuer = RecordingEnqueuer()
    client = create_app(stores.settings, stores, enqueuer).test_client()
    data = "".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(40_000)).encode()
    response = client.post(
        "/v1/datasets?name=big&type=embed-input",
        headers=AUTH,
        data={"data": (io.BytesIO(data), "a.jsonl")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    chunks = [chunk for _, chunk in enqueuer.chunks]
    assert len(chunks) > 10
    assert chunks[0].start == 0 and chunks[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:], strict=False))
    stored = [
        b"".join(stores.blobs.read_range(*span.to_list()) for span in c.spans) for c in chunks
    ]
    assert b"".join(stored) == data  # each chunk reads its own bytes from the segments
    written = [p for p in (stores.settings.storage_root).rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in written) == len(data)  # every byte written once
