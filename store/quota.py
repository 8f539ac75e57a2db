"""Per-organization storage quota, reserved atomically while uploads stream in.

An upload reserves the *total* bytes it has received so far under its own upload id, so a retried
reservation is a no-op and concurrent uploads can never push usage past the cap (the check and the
increment happen in one Lua script). When the upload becomes a dataset, its reservation is handed
over to the dataset record (see DatasetStore.create); when it fails, `release` gives it back.
"""

from __future__ import annotations

import redis

from store.keys import RedisKeys

_RESERVE = """
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
return reserved
"""


class QuotaStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys, max_org_bytes: int) -> None:
        self._redis = client
        self._keys = keys
        self._cap = max_org_bytes
        self._reserve = client.register_script(_RESERVE)
        self._release = client.register_script(_RELEASE)

    def reserve(self, org: str, upload_id: str, total_bytes: int) -> bool:
        """Raise this upload's reservation to `total_bytes`; False when the org cap forbids it."""
        keys = [self._keys.org_usage(org), self._keys.org_reservations(org)]
        return bool(self._reserve(keys=keys, args=[upload_id, total_bytes, self._cap]))

    def release(self, org: str, upload_id: str) -> int:
        """Give back everything `upload_id` reserved (idempotent). Returns the bytes released."""
        keys = [self._keys.org_usage(org), self._keys.org_reservations(org)]
        return int(self._release(keys=keys, args=[upload_id]))

    def usage(self, org: str) -> int:
        return int(self._redis.get(self._keys.org_usage(org)) or 0)
