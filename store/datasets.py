"""Dataset records in Redis: create, read, list, status transitions, delete — each atomic.

A record (store.records.DatasetRecord) is a Redis hash of strings; structured fields are JSON.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from store.chunk_ledger import ChunkLedger
from store.idempotency import IdempotencyKeys, IdempotentRequest
from store.keys import RedisKeys
from store.records import TERMINAL_STATUSES, DatasetRecord, Status, encode_fields

__all__ = [
    "TERMINAL_STATUSES",
    "DatasetRecord",
    "DatasetStore",
    "IdempotentRequest",
    "ListQuery",
    "Status",
]

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


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """A timestamp `format_timestamp` wrote."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def epoch_micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _listing_score(record: DatasetRecord) -> int:
    """Where a record sorts in the org's list and the retention index: its creation time."""
    return epoch_micros(datetime.strptime(record.created_at, "%Y-%m-%dT%H:%M:%S.%fZ"))


@dataclass(frozen=True)
class ListQuery:
    dataset_type: str | None = None
    validation_status: str | None = None
    before: datetime | None = None
    after: datetime | None = None
    limit: int | None = None
    offset: int = 0


class DatasetStore(ChunkLedger, IdempotencyKeys):
    """A dataset's record and its indexes; its chunks' reports (store/chunk_ledger.py) and the
    Idempotency-Keys that made it (store/idempotency.py) through the two mixins."""

    def __init__(self, client: redis.Redis, keys: RedisKeys) -> None:
        super().__init__(client, keys)
        self._transition = client.register_script(_TRANSITION)
        self._delete = client.register_script(_DELETE)
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
