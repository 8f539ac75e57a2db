"""Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Ceph...): what lets
web and worker processes on different machines share files without a shared disk.

Writes stream into a multipart upload, PART_BYTES at a time, so an upload of any size holds one
part in memory; nothing is visible under the key until `commit`, and `abort` (or beat's sweep of
uploads whose process died) leaves nothing behind. Credentials come from the standard AWS chain
(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, or an instance role).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from store.blobs import READ_BLOCK, StorageUnavailableError
from store.settings import Settings

PART_BYTES = 8 * 1024 * 1024  # S3 wants at least 5 MiB per part (but the last)
DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
T = TypeVar("T")


def _storage_call(call: Callable[[], T]) -> T:
    """Run an S3 call; failures to reach or use the bucket become StorageUnavailableError."""
    try:
        return call()
    except (BotoCoreError, ClientError) as exc:
        raise StorageUnavailableError(str(exc)) from exc


def _is_not_found(exc: StorageUnavailableError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and cause.response["Error"]["Code"] in NOT_FOUND


class S3BlobWriter:
    """Streams to one object: a single PUT when small, a multipart upload otherwise."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self._client = client
        self._target = {"Bucket": bucket, "Key": key}
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self._size = 0

    def write(self, data: bytes) -> int:
        self._buffer += data
        self._size += len(data)
        if len(self._buffer) >= PART_BYTES:
            self._send_part()
        return len(data)

    def _send_part(self) -> None:
        if self._upload_id is None:
            started = _storage_call(lambda: self._client.create_multipart_upload(**self._target))
            self._upload_id = started["UploadId"]
        number = len(self._parts) + 1
        body = bytes(self._buffer)
        self._buffer.clear()
        sent = _storage_call(
            lambda: self._client.upload_part(
                **self._target, UploadId=self._upload_id, PartNumber=number, Body=body
            )
        )
        self._parts.append({"ETag": sent["ETag"], "PartNumber": number})

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        """Parts are sent as they fill; nothing to do (polars calls this)."""

    def commit(self) -> int:
        try:
            if self._upload_id is None:
                body = bytes(self._buffer)
                _storage_call(lambda: self._client.put_object(**self._target, Body=body))
            else:
                if self._buffer:
                    self._send_part()
                _storage_call(
                    lambda: self._client.complete_multipart_upload(
                        **self._target,
                        UploadId=self._upload_id,
                        MultipartUpload={"Parts": self._parts},
                    )
                )
        except BaseException:
            self.abort()
            raise
        self._buffer.clear()
        return self._size

    def abort(self) -> None:
        self._buffer.clear()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            _storage_call(
                lambda: self._client.abort_multipart_upload(**self._target, UploadId=upload_id)
            )


class S3BlobStore:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        bucket, prefix = settings.s3_location
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                max_pool_connections=32,  # one per web thread or worker, with room
            ),
        )
        return cls(client, bucket, prefix)

    def _object_key(self, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or ".." in parts or "" in parts:
            raise ValueError(f"not a blob key: {key!r}")
        return self._prefix + key

    def open_writer(self, key: str) -> S3BlobWriter:
        return S3BlobWriter(self._client, self._bucket, self._object_key(key))

    def _get(self, key: str, first: int, last: int | None) -> Any:
        byte_range = f"bytes={first}-{'' if last is None else last}"
        target = {"Bucket": self._bucket, "Key": self._object_key(key)}
        return _storage_call(lambda: self._client.get_object(**target, Range=byte_range))["Body"]

    def read_range(self, key: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        body = self._get(key, start, end - 1)
        return _storage_call(body.read)

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return
        body = self._get(key, start, None if end is None else end - 1)
        try:
            yield from body.iter_chunks(READ_BLOCK)
        finally:
            body.close()

    def _head(self, key: str) -> dict[str, Any]:
        target = {"Bucket": self._bucket, "Key": self._object_key(key)}
        return _storage_call(lambda: self._client.head_object(**target))

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except ValueError:
            return False  # not a key this store could hold
        except StorageUnavailableError as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    def _pages(self, operation: str, **params: str) -> list[dict[str, Any]]:
        """Every page of a paginated listing of the bucket (fetched as one storage call)."""
        pages = self._client.get_paginator(operation).paginate(Bucket=self._bucket, **params)
        return _storage_call(lambda: list(pages))

    def delete_prefix(self, prefix: str) -> None:
        """Delete the object `prefix` and every object under `prefix/`."""
        base = self._object_key(prefix)
        doomed = [base]
        for page in self._pages("list_objects_v2", Prefix=f"{base}/"):
            doomed.extend(item["Key"] for item in page.get("Contents", []))
        for start in range(0, len(doomed), DELETE_BATCH):
            batch = [{"Key": key} for key in doomed[start : start + DELETE_BATCH]]
            _storage_call(
                lambda batch=batch: self._client.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True}
                )
            )

    def remove_abandoned_writes(self, silent_seconds: float) -> int:
        """Abort multipart uploads with no new part for `silent_seconds` (their writer's process
        died). A live writer sends a part at least every PART_BYTES it receives."""
        cutoff = time.time() - silent_seconds
        removed = 0
        for page in self._pages("list_multipart_uploads", Prefix=self._prefix):
            for upload in page.get("Uploads", []):
                if self._last_activity(upload) < cutoff:
                    target = {"Bucket": self._bucket, "Key": upload["Key"]}
                    _storage_call(
                        lambda target=target, upload=upload: self._client.abort_multipart_upload(
                            **target, UploadId=upload["UploadId"]
                        )
                    )
                    removed += 1
        return removed

    def _last_activity(self, upload: dict[str, Any]) -> float:
        parts = _storage_call(
            lambda: self._client.list_parts(
                Bucket=self._bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        ).get("Parts", [])
        moments = [upload["Initiated"], *(part["LastModified"] for part in parts)]
        return max(moment.timestamp() for moment in moments)

    def folders(self, prefix: str) -> list[str]:
        """The names of the folders right under `prefix`."""
        base = f"{self._object_key(prefix)}/"
        pages = self._pages("list_objects_v2", Prefix=base, Delimiter="/")
        found = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
        return sorted(name[len(base) :].rstrip("/") for name in found)

    def newest_write(self, prefix: str) -> float | None:
        """When the newest object under `prefix` was written (epoch seconds); None if none."""
        pages = self._pages("list_objects_v2", Prefix=f"{self._object_key(prefix)}/")
        moments = [
            item["LastModified"].timestamp() for p in pages for item in p.get("Contents", [])
        ]
        return max(moments, default=None)

    def health_problem(self) -> str | None:
        try:
            _storage_call(lambda: self._client.head_bucket(Bucket=self._bucket))
        except StorageUnavailableError as exc:
            where = f"the bucket '{self._bucket}' at {self._client.meta.endpoint_url}"
            if _is_not_found(exc):
                return f"{where} does not exist: create it (SIEVE_STORAGE_URL names it)"
            return f"{where} is unreachable: {str(exc)[:200]}"
        return None
