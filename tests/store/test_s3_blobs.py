"""The S3 blob store against a real S3 endpoint over HTTP (moto's server)."""

from __future__ import annotations

import itertools

import pytest

from store.blobs import StorageUnavailableError, open_blob_store
from store.s3_blobs import PART_BYTES, S3BlobStore
from store.settings import Settings

_buckets = itertools.count(1)


@pytest.fixture
def s3(s3_server, monkeypatch) -> tuple[S3BlobStore, object, str]:
    """(store under prefix "sieve", raw boto3 client, bucket name) on a fresh bucket."""
    for name, value in s3_server.items():
        monkeypatch.setenv(name, value)
    bucket = f"unit-{next(_buckets)}"
    settings = Settings(
        storage_url=f"s3://{bucket}/sieve/",
        s3_endpoint_url=s3_server["SIEVE_S3_ENDPOINT_URL"],
        s3_region=s3_server["SIEVE_S3_REGION"],
    )
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    store._client.create_bucket(Bucket=bucket)
    return store, store._client, bucket


def _objects(client, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def _pending_uploads(client, bucket: str) -> list[dict]:
    return client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_small_and_multipart_writes_read_back_by_range(s3):
    store, client, bucket = s3
    small = store.open_writer("datasets/a/upload/train")
    small.write(b"hello ")
    small.write(b"world")
    assert _objects(client, bucket) == []  # invisible until commit
    assert small.commit() == 11
    big_body = bytes(range(256)) * (PART_BYTES * 2 // 256 + 999)  # three parts
    big = store.open_writer("datasets/a/parts/train-00000.avro")
    for start in range(0, len(big_body), 1_000_000):
        big.write(big_body[start : start + 1_000_000])
    assert len(_pending_uploads(client, bucket)) == 1  # streamed, not buffered whole
    assert big.commit() == len(big_body)
    assert _pending_uploads(client, bucket) == []
    assert _objects(client, bucket) == [
        "sieve/datasets/a/parts/train-00000.avro",
        "sieve/datasets/a/upload/train",
    ]
    assert store.read_range("datasets/a/upload/train", 6, 11) == b"world"
    assert store.read_range("datasets/a/upload/train", 3, 3) == b""
    assert store.size("datasets/a/parts/train-00000.avro") == len(big_body)
    key = "datasets/a/parts/train-00000.avro"
    assert b"".join(store.iter_range(key)) == big_body
    assert b"".join(store.iter_range(key, 10, PART_BYTES + 10)) == big_body[10 : PART_BYTES + 10]


def test_abort_leaves_nothing(s3):
    store, client, bucket = s3
    writer = store.open_writer("datasets/b/upload/train")
    writer.write(b"x" * (PART_BYTES + 1))
    assert len(_pending_uploads(client, bucket)) == 1
    writer.abort()
    assert _pending_uploads(client, bucket) == [] and _objects(client, bucket) == []


def test_exists_and_keys_that_cannot_be_blobs(s3):
    store, _, _ = s3
    writer = store.open_writer("datasets/c/upload/train")
    writer.write(b"1")
    writer.commit()
    assert store.exists("datasets/c/upload/train")
    assert not store.exists("datasets/c/upload/eval")
    for bad in ("../stack.log", "/etc/passwd", "datasets//x", "datasets/../c/upload/train", ""):
        assert not store.exists(bad)
        with pytest.raises(ValueError):
            store.open_writer(bad)


def test_delete_prefix_takes_the_folder_or_the_object_and_nothing_beside(s3):
    store, client, bucket = s3
    for key in (
        "datasets/tok/upload/train",
        "datasets/tok/parts/train-00000.avro",
        "datasets/tok/parts/train-00001.avro",
        "datasets/tokX/upload/train",  # a sibling whose name merely starts the same
    ):
        writer = store.open_writer(key)
        writer.write(b"data")
        writer.commit()
    store.delete_prefix("datasets/tok/parts/train-00001.avro")
    assert "sieve/datasets/tok/parts/train-00001.avro" not in _objects(client, bucket)
    store.delete_prefix("datasets/tok")
    assert _objects(client, bucket) == ["sieve/datasets/tokX/upload/train"]
    store.delete_prefix("datasets/never-there")  # nothing to delete is fine


def test_abandoned_multipart_uploads_are_aborted_live_ones_kept(s3):
    store, client, bucket = s3
    writer = store.open_writer("datasets/d/upload/train")
    writer.write(b"x" * PART_BYTES)
    assert store.remove_abandoned_writes(silent_seconds=3600) == 0  # it just sent a part
    assert store.remove_abandoned_writes(silent_seconds=-60) == 1  # as seen an hour later
    assert _pending_uploads(client, bucket) == []


def test_an_unreachable_bucket_is_unhealthy_and_unavailable(s3_server, monkeypatch):
    for name, value in s3_server.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        storage_url="s3://no-such-bucket",
        s3_endpoint_url=s3_server["SIEVE_S3_ENDPOINT_URL"],
        s3_region="us-east-1",
    )
    store = open_blob_store(settings)
    problem = store.health_problem()
    assert problem == (
        f"the bucket 'no-such-bucket' at {s3_server['SIEVE_S3_ENDPOINT_URL']} does not exist: "
        "create it (SIEVE_STORAGE_URL names it)"
    )
    writer = store.open_writer("datasets/e/upload/train")
    writer.write(b"x")
    with pytest.raises(StorageUnavailableError):
        writer.commit()
