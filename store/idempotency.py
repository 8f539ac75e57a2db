"""Idempotency-Keys: a create retried with the same key gets the dataset its first request
made (or is told that request differs), in a key of its own that expires."""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from store.keys import RedisKeys

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


class IdempotencyKeys:
    """DatasetStore's Idempotency-Key methods (it provides the client and the keys)."""

    _redis: redis.Redis
    _keys: RedisKeys

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
