"""Per-organization storage quota, reserved atomically while uploads stream in.

An upload reserves the *total* bytes it has received so far under its own upload id, so a retried
reservation is a no-op and concurrent uploads can never push usage past the cap (the check and the
increment happen in one Lua script). When the upload becomes a dataset, its reservation is handed
over to the dataset record (see DatasetStore.create); when it fails, `release` gives it back.
"""

from __future__ import annotations

import time

import redis

from store.keys import RedisKeys

_RESERVE = """
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
local previous = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local wanted = tonumber(ARGV[2])
local delta = wanted - previous
if delta <= 0 then return 1 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + delta > tonumber(ARGV[3]) then return 0 end
redis.call('INCRBY', KEYS[1], delta)
redis.call('HSET', KEYS[2], ARGV[1], wanted)
return 1
"""

_RELEASE = """
local reserved = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if reserved > 0 then redis.call('DECRBY', KEYS[1], reserved) end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return reserved
"""


class QuotaStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys, max_org_bytes: int) -> None:
        self._redis = client
        self._keys = keys
        self._cap = max_org_bytes
        self._reserve = client.register_script(_RESERVE)
        self._release = client.register_script(_RELEASE)

    def _script_keys(self, org: str) -> list[str]:
        return [
            self._keys.org_usage(org),
            self._keys.org_reservations(org),
            self._keys.reservation_heartbeats(),
        ]

    def reserve(
        self, org: str, upload_id: str, total_bytes: int, alive_until: float | None = None
    ) -> bool:
        """Raise this upload's reservation to `total_bytes` (also a heartbeat, see
        `release_abandoned`: a resumable upload beats once, for as long as it may go on);
        False when the org cap forbids it."""
        member = self._keys.reservation_member(org, upload_id)
        beat = time.time() if alive_until is None else alive_until
        args = [upload_id, total_bytes, self._cap, beat, member]
        return bool(self._reserve(keys=self._script_keys(org), args=args))

    def release(self, org: str, upload_id: str) -> int:
        """Give back everything `upload_id` reserved (idempotent). Returns the bytes released."""
        member = self._keys.reservation_member(org, upload_id)
        return int(self._release(keys=self._script_keys(org), args=[upload_id, member]))

    def release_abandoned(self, silent_seconds: float) -> int:
        """Release the reservations of uploads that have not reserved (beaten) for
        `silent_seconds` — their web process died mid-upload. Returns how many."""
        cutoff = time.time() - silent_seconds
        members = self._redis.zrangebyscore(self._keys.reservation_heartbeats(), "-inf", cutoff)
        for member in members:
            self.release(*self._keys.parse_reservation_member(member))
        return len(members)

    def reserving_ids(self) -> list[str]:
        """The uploads holding a reservation now (for the orphan sweep)."""
        members = self._redis.zrange(self._keys.reservation_heartbeats(), 0, -1)
        return [self._keys.parse_reservation_member(member)[1] for member in members]

    def usage(self, org: str) -> int:
        return int(self._redis.get(self._keys.org_usage(org)) or 0)

    def total_usage(self) -> int:
        """Bytes counted against every organization's quota (for the metrics)."""
        pattern = self._keys.org_usage("*")
        keys = list(self._redis.scan_iter(match=pattern, count=1000))
        return sum(int(value or 0) for value in self._redis.mget(keys)) if keys else 0
