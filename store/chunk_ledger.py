"""A dataset's chunks as they report: each delivery counted, each report kept once, the one
claim that triggers finalize."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from store.keys import RedisKeys

_SAVE_REPORT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, -1} end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'validated' or status == 'failed' then
  return {0, redis.call('HLEN', KEYS[2])}
end
local stored = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
if stored == 1 then
  redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)
  redis.call('HINCRBY', KEYS[1], 'rows_seen', ARGV[3])
  redis.call('ZADD', KEYS[3], 'XX', ARGV[4], ARGV[5])
end
return {stored, redis.call('HLEN', KEYS[2])}
"""

# Counted only while the record exists, so a chunk redelivered after a delete leaves no key.
_COUNT_ATTEMPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
"""


class ChunkLedger:
    """DatasetStore's chunk bookkeeping."""

    def __init__(self, client: redis.Redis, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys
        self._save_report = client.register_script(_SAVE_REPORT)
        self._count_attempt = client.register_script(_COUNT_ATTEMPT)

    def count_chunk_attempt(self, dataset_id: str, chunk_index: int) -> int:
        """This delivery's number for the chunk; -1 if the dataset is gone."""
        keys = [self._keys.dataset(dataset_id), self._keys.chunk_attempts(dataset_id)]
        return int(self._count_attempt(keys=keys, args=[str(chunk_index)]))

    def save_chunk_report(
        self, dataset_id: str, chunk_index: int, report: dict[str, Any], rows_seen: int
    ) -> tuple[bool, int]:
        """Record a chunk's report once: a redelivered chunk can't overwrite it or count twice,
        and a chunk that ends after the verdict (a failure it was not part of) is not stored.

        Returns (stored now, number of chunk reports); (False, -1) if the dataset is gone, so a
        late chunk never resurrects a deleted dataset's bookkeeping.
        """
        keys = [
            self._keys.dataset(dataset_id),
            self._keys.chunk_reports(dataset_id),
            self._keys.active_datasets(),
        ]
        payload = json.dumps(report, separators=(",", ":"))
        args = [str(chunk_index), payload, rows_seen, time.time(), dataset_id]
        stored, count = self._save_report(keys=keys, args=args)
        return bool(stored), int(count)

    def chunk_reports(self, dataset_id: str) -> dict[int, dict[str, Any]]:
        raw = self._redis.hgetall(self._keys.chunk_reports(dataset_id))
        return {int(index): json.loads(report) for index, report in raw.items()}

    def has_chunk_report(self, dataset_id: str, chunk_index: int) -> bool:
        return bool(self._redis.hexists(self._keys.chunk_reports(dataset_id), str(chunk_index)))

    def chunks_reported(self, dataset_id: str) -> int:
        return int(self._redis.hlen(self._keys.chunk_reports(dataset_id)))

    def get_chunks_total(self, dataset_id: str) -> int | None:
        total = self._redis.hget(self._keys.dataset(dataset_id), "chunks_total")
        return int(total) if total else None

    def claim_finalize(self, dataset_id: str, ttl_seconds: int) -> bool:
        """True for exactly one caller: the one that gets to trigger finalize."""
        return bool(
            self._redis.set(self._keys.finalize_lock(dataset_id), "1", nx=True, ex=ttl_seconds)
        )
