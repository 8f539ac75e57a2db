"""Concurrency slots per organization, shared by every web process through Redis: at most
`limit` of an organization's searches at once. A slot is a member of a sorted set scored by
when it lapses, so a web process that dies holding one frees it by itself soon after."""

from __future__ import annotations

import secrets
import time

import redis

from store.keys import RedisKeys

SEARCH_HOLD_SECONDS = 30.0  # a search ends within its budget; a dead process's slot lapses

_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class ConcurrencySlots:
    def __init__(
        self, client: redis.Redis, keys: RedisKeys, limit: int, hold_seconds: float
    ) -> None:
        self._client = client
        self._keys = keys
        self._limit = limit
        self._hold = hold_seconds
        self._take = client.register_script(_TAKE)

    def take(self, org: str) -> str | None:
        """A slot's token, or None when the organization holds `limit` already."""
        now, token = time.time(), secrets.token_hex(8)
        lapses, expire = now + self._hold, int(self._hold) + 1
        args = [now, lapses, self._limit, token, expire]
        taken = self._take(keys=[self._keys.org_searches(org)], args=args)
        return token if int(taken) else None

    def give_back(self, org: str, token: str) -> None:
        self._client.zrem(self._keys.org_searches(org), token)
