"""Dataset records in Redis: create, read, list, status transitions, delete — each atomic.

A record (store.records.DatasetRecord) is a Redis hash of strings; structured fields are JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from store.keys import RedisKeys
from store.records import TERMINAL_STATUSES, DatasetRecord, Status, encode_fields

__all__ = ["TERMINAL_STATUSES", "DatasetRecord", "DatasetStore", "ListQuery", "Status"]

# Status rank: a transition never goes backwards and never leaves a terminal status.
# A verdict leaves the active index and joins the unannounced ones (its webhooks) in the same
# step, so a process that dies right after it loses neither.
_TRANSITION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local rank = {queued = 0, processing = 1, validated = 2, failed = 2}
local current = redis.call('HGET', KEYS[1], 'status')
local target = ARGV[1]
if target ~= '' then
  if rank[current] >= 2 or rank[target] < rank[current] then return 0 end
  redis.call('HSET', KEYS[1], 'status', target)
elseif rank[current] >= 2 then
  return 0
end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if rank[target] == 2 then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
end
return 1
"""

_DELETE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local bytes = tonumber(redis.call('HGET', KEYS[1], 'usage_bytes') or '0')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if bytes > 0 then redis.call('DECRBY', KEYS[4], bytes) end
for i = 5, #KEYS do redis.call('DEL', KEYS[i]) end
return bytes
"""

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

_COMPLETE_UPLOAD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
if ARGV[3] ~= '' then
  redis.call('HDEL', KEYS[3], ARGV[3])
  redis.call('ZREM', KEYS[4], ARGV[4])
end
return 1
"""

# A dry run's bytes count while they are stored: given back once, when they are deleted.
_RELEASE_USAGE = """
local bytes = tonumber(redis.call('HGET', KEYS[1], 'usage_bytes') or '0')
if bytes <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'usage_bytes', '0')
redis.call('DECRBY', KEYS[2], bytes)
return bytes
"""

# Counted only while the record exists, so a chunk redelivered after a delete leaves no key.
_COUNT_ATTEMPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """A timestamp `format_timestamp` wrote."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def epoch_micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


_REPLACE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') and 1
end
return 0
"""
_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _listing_score(record: DatasetRecord) -> int:
    """Where a record sorts in the org's list and the retention index: its creation time."""
    return epoch_micros(datetime.strptime(record.created_at, "%Y-%m-%dT%H:%M:%S.%fZ"))


@dataclass(frozen=True)
class IdempotentRequest:
    """What an Idempotency-Key is bound to: the dataset its first request makes, a fingerprint
    of that request (so a different request with the same key is told apart), and whether
    that request is still in flight."""

    dataset_id: str
    fingerprint: str
    pending: bool = True

    def encode(self) -> str:
        return json.dumps([self.dataset_id, self.fingerprint, self.pending])

    @classmethod
    def decode(cls, text: str) -> IdempotentRequest:
        try:
            dataset_id, fingerprint, pending = json.loads(text)
        except ValueError:  # bound before fingerprints were kept: a bare dataset id
            return cls(text, "", pending=False)
        return cls(dataset_id, fingerprint, pending)


@dataclass(frozen=True)
class ListQuery:
    dataset_type: str | None = None
    validation_status: str | None = None
    before: datetime | None = None
    after: datetime | None = None
    limit: int | None = None
    offset: int = 0


class DatasetStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys
        self._transition = client.register_script(_TRANSITION)
        self._delete = client.register_script(_DELETE)
        self._save_report = client.register_script(_SAVE_REPORT)
        self._count_attempt = client.register_script(_COUNT_ATTEMPT)
        self._complete_upload = client.register_script(_COMPLETE_UPLOAD)
        self._release_usage = client.register_script(_RELEASE_USAGE)

    # -- create / read -------------------------------------------------------------------
    def create(self, record: DatasetRecord, upload_id: str | None) -> None:
        """Store the record, index it and hand the upload's quota reservation over to it.

        `usage_bytes` in the record is what delete will give back; the reservation entry is
        dropped in the same transaction so the bytes are counted exactly once.
        """
        dataset_id, org = record.id, record.org
        score = _listing_score(record)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._keys.dataset(dataset_id), mapping=record.encode())
        if not record.dry_run and not record.receiving:  # listed once it is whole
            pipe.zadd(self._keys.org_datasets(org), {dataset_id: score})
        pipe.zadd(self._keys.all_datasets(), {dataset_id: score})
        pipe.zadd(self._keys.active_datasets(), {dataset_id: time.time()})
        if upload_id is not None:
            pipe.hdel(self._keys.org_reservations(org), upload_id)
            pipe.zrem(
                self._keys.reservation_heartbeats(), self._keys.reservation_member(org, upload_id)
            )
        pipe.execute()

    def complete_upload(self, record: DatasetRecord, upload_id: str | None) -> bool:
        """A streamed upload is whole: store the record's final fields (its status too: only
        the web process writes a receiving record's), list it (unless a dry run) and hand the
        upload's quota reservation over to it, atomically. The counters the workers keep
        (chunks done, rows seen) are left alone. False if the record is gone (its
        upload was swept as abandoned)."""
        fields = record.encode()
        for kept in ("chunks_done", "rows_seen"):
            fields.pop(kept, None)
        fields["receiving"] = "false"
        score = _listing_score(record)
        listed = "" if record.dry_run else str(score)
        keys = [
            self._keys.dataset(record.id),
            self._keys.org_datasets(record.org),
            self._keys.org_reservations(record.org),
            self._keys.reservation_heartbeats(),
        ]
        member = self._keys.reservation_member(record.org, upload_id) if upload_id else ""
        args = [record.id, listed, upload_id or "", member]
        for name, value in fields.items():
            args.extend([name, value])
        return bool(self._complete_upload(keys=keys, args=args))

    def get(self, dataset_id: str, org: str | None = None) -> DatasetRecord | None:
        """The record, or None when missing or owned by another org than `org`."""
        raw = self._redis.hgetall(self._keys.dataset(dataset_id))
        if not raw or (org is not None and raw.get("org") != org):
            return None
        return DatasetRecord.decode(raw)

    def exists(self, dataset_id: str) -> bool:
        return bool(self._redis.exists(self._keys.dataset(dataset_id)))

    def list(self, org: str, query: ListQuery) -> list[DatasetRecord]:
        """Newest first, filtered, then offset/limit applied to the filtered sequence."""
        if not (query.dataset_type or query.validation_status) and query.limit is not None:
            return self._fetch(self._ids_in_range(org, query, query.offset, query.limit))
        matches = self._filtered(org, query)
        wanted = []
        for index, record in enumerate(matches):
            if index < query.offset:
                continue
            if query.limit is not None and len(wanted) >= query.limit:
                break
            wanted.append(record)
        return wanted

    def _ids_in_range(self, org: str, query: ListQuery, start: int, count: int) -> list[str]:
        """Ids created between `after` and `before`, newest first, from position `start`."""
        high = f"({epoch_micros(query.before)}" if query.before else "+inf"
        low = f"({epoch_micros(query.after)}" if query.after else "-inf"
        key = self._keys.org_datasets(org)
        return self._redis.zrevrangebyscore(key, high, low, start=start, num=count)

    def _filtered(self, org: str, query: ListQuery) -> Iterator[DatasetRecord]:
        page, start = 200, 0
        while True:
            ids = self._ids_in_range(org, query, start, page)
            for record in self._fetch(ids):
                if query.dataset_type and record.dataset_type != query.dataset_type:
                    continue
                if query.validation_status and record.status != query.validation_status:
                    continue
                yield record
            if len(ids) < page:
                return
            start += page

    def _fetch(self, ids: Iterable[str]) -> list[DatasetRecord]:
        pipe = self._redis.pipeline(transaction=False)
        for dataset_id in ids:
            pipe.hgetall(self._keys.dataset(dataset_id))
        return [DatasetRecord.decode(raw) for raw in pipe.execute() if raw]

    def all_ids(self) -> list[str]:
        """Every dataset id (for the orphan sweep)."""
        return self._redis.zrange(self._keys.all_datasets(), 0, -1)

    def ids_created_before(self, moment: datetime, limit: int = 500) -> list[str]:
        return self._redis.zrangebyscore(
            self._keys.all_datasets(), "-inf", f"({epoch_micros(moment)}", start=0, num=limit
        )

    def forget(self, dataset_id: str) -> None:
        """Drop an id from the retention index (its record may already have expired)."""
        self._redis.zrem(self._keys.all_datasets(), dataset_id)

    # -- updates -------------------------------------------------------------------------
    def transition(self, dataset_id: str, status: Status | None, **fields: Any) -> bool:
        """Set `status` (if given) and `fields` atomically, only if the record still exists,
        the status moves forward, and the record is not already terminal."""
        fields["updated_at"] = format_timestamp(utc_now())
        args: list[Any] = [status or "", time.time(), dataset_id]
        for name, value in encode_fields(fields).items():
            args.extend([name, value])
        keys = [
            self._keys.dataset(dataset_id),
            self._keys.active_datasets(),
            self._keys.unannounced_verdicts(),
        ]
        moved = bool(self._transition(keys=keys, args=args))
        if moved and status and not Status(status).terminal:
            self._redis.zadd(self._keys.active_datasets(), {dataset_id: time.time()}, xx=True)
        return moved

    def announced(self, dataset_id: str) -> None:
        """Its verdict's webhook messages are queued (workers/webhooks.announce_verdict)."""
        self._redis.zrem(self._keys.unannounced_verdicts(), dataset_id)

    def unannounced(self, older_than: float, most: int = 100) -> list[str]:
        """Verdicts reached `older_than` seconds ago or more whose messages were never queued
        (the process died in between); each is pushed back `older_than` for its claimer."""
        now = time.time()
        key = self._keys.unannounced_verdicts()
        found = self._redis.zrangebyscore(key, "-inf", now - older_than, start=0, num=most)
        if found:
            self._redis.zadd(key, dict.fromkeys(found, now), xx=True)
        return found

    def delete(self, dataset_id: str) -> int | None:
        """Remove the record, its indexes and bookkeeping, and release its bytes from the org's
        usage, in one step. Returns the bytes released, or None if it was already gone (so two
        concurrent deletes release once)."""
        org = self._redis.hget(self._keys.dataset(dataset_id), "org")
        if org is None:
            return None
        keys = [
            self._keys.dataset(dataset_id),
            self._keys.org_datasets(org),
            self._keys.all_datasets(),
            self._keys.org_usage(org),
            *self._keys.dataset_aux_keys(dataset_id),
        ]
        released = int(self._delete(keys=keys, args=[dataset_id]))
        self._redis.zrem(self._keys.active_datasets(), dataset_id)
        return None if released < 0 else released

    # -- stalled work --------------------------------------------------------------------
    def quiet_active_ids(self, quiet_seconds: float, limit: int = 500) -> list[str]:
        """Datasets not yet final whose last progress is older than `quiet_seconds`."""
        cutoff = time.time() - quiet_seconds
        return self._redis.zrangebyscore(
            self._keys.active_datasets(), "-inf", cutoff, start=0, num=limit
        )

    def quiet_for(self, dataset_id: str) -> float:
        """Seconds since an active dataset last progressed (0 if it isn't active)."""
        score = self._redis.zscore(self._keys.active_datasets(), dataset_id)
        return 0.0 if score is None else time.time() - score

    def mark_progress(self, dataset_id: str, at: float | None = None) -> None:
        """Count now (or `at`, epoch seconds) as progress of an active dataset: it was just
        driven again, or its resumable upload may go on until `at`."""
        score = time.time() if at is None else at
        self._redis.zadd(self._keys.active_datasets(), {dataset_id: score}, xx=True)

    def forget_active(self, dataset_id: str) -> None:
        self._redis.zrem(self._keys.active_datasets(), dataset_id)

    def release_usage(self, dataset_id: str, org: str) -> int:
        """Give back the record's bytes (its files are gone, the record stays: a dry run's
        verdict); once, however often it is called. Returns the bytes released."""
        keys = [self._keys.dataset(dataset_id), self._keys.org_usage(org)]
        return int(self._release_usage(keys=keys))

    def expire(self, dataset_id: str, seconds: int) -> None:
        """Let the record and its bookkeeping vanish after `seconds` (dry runs)."""
        pipe = self._redis.pipeline(transaction=True)
        for key in [self._keys.dataset(dataset_id), *self._keys.dataset_aux_keys(dataset_id)]:
            pipe.expire(key, seconds)
        pipe.execute()

    # -- chunk bookkeeping ---------------------------------------------------------------
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

    # -- idempotency ---------------------------------------------------------------------
    def idempotent_id(self, org: str, key: str) -> str | None:
        return self._redis.get(self._keys.idempotency(org, key))

    def remember_idempotent_id(
        self, org: str, key: str, binding: IdempotentRequest, ttl_seconds: int
    ) -> IdempotentRequest:
        """Bind `key` to `binding` (a pending request) unless already bound; returns what the
        key is bound to."""
        redis_key = self._keys.idempotency(org, key)
        if self._redis.set(redis_key, binding.encode(), nx=True, ex=ttl_seconds):
            return binding
        found = self._redis.get(redis_key)
        return IdempotentRequest.decode(found) if found else binding

    def complete_idempotent_id(self, org: str, key: str, binding: IdempotentRequest) -> None:
        """The request bound to `key` made its dataset: retries now get its id."""
        done = IdempotentRequest(binding.dataset_id, binding.fingerprint, pending=False)
        self._redis.eval(
            _REPLACE_IF_EQUAL, 1, self._keys.idempotency(org, key), binding.encode(), done.encode()
        )

    def forget_idempotent_id(self, org: str, key: str, binding: IdempotentRequest) -> None:
        """Unbind `key` if it is still bound to `binding` (that create failed; retries go on)."""
        self._redis.eval(_DELETE_IF_EQUAL, 1, self._keys.idempotency(org, key), binding.encode())
