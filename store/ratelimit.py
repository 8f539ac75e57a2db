"""Per-API-key rate limit on dataset creation: a fixed one-minute window counted in Redis."""

from __future__ import annotations

import time

import redis

from store.keys import RedisKeys

WINDOW_SECONDS = 60

_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RateLimiter:
    def __init__(self, client: redis.Redis, keys: RedisKeys, per_minute: int) -> None:
        self._keys = keys
        self._limit = per_minute
        self._hit = client.register_script(_HIT)

    def retry_after(self, key_hash: str, now: float | None = None) -> int:
        """Count one create for this key; 0 if allowed, else seconds until the window ends."""
        if self._limit <= 0:
            return 0
        moment = time.time() if now is None else now
        window = int(moment // WINDOW_SECONDS)
        count = int(
            self._hit(keys=[self._keys.rate_window(key_hash, window)], args=[WINDOW_SECONDS * 2])
        )
        if count <= self._limit:
            return 0
        return max(1, int((window + 1) * WINDOW_SECONDS - moment + 0.999))
