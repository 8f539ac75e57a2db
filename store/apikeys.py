"""API keys: stored only as SHA-256 hashes, each bound to one organization."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import redis

from store.keys import RedisKeys

KEY_PREFIX = "sk-sieve-"
FINGERPRINT_CHARS = 12


@dataclass(frozen=True, order=True)
class ApiKeyInfo:
    """What can be shown of a stored key: its organization and the start of its hash."""

    org: str
    fingerprint: str


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class ApiKeyStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys

    def create(self, org: str) -> str:
        """Mint a new key (256 random bits) for `org` and return it; only its hash is stored."""
        api_key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.register(org, api_key)
        return api_key

    def register(self, org: str, api_key: str) -> None:
        """Bind an existing key (e.g. from SIEVE_API_KEYS) to `org`. Idempotent."""
        digest = hash_key(api_key)
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._keys.api_key(digest), org)
        pipe.sadd(self._keys.org_api_keys(org), digest)
        pipe.execute()

    def list(self) -> list[ApiKeyInfo]:
        """Every stored key, by organization (the keys themselves are not stored)."""
        prefix = self._keys.api_key("")
        digests = [
            key.removeprefix(prefix) for key in self._redis.scan_iter(match=prefix + "*", count=500)
        ]
        orgs = self._redis.mget([self._keys.api_key(d) for d in digests]) if digests else []
        return sorted(
            ApiKeyInfo(org, digest[:FINGERPRINT_CHARS])
            for digest, org in zip(digests, orgs, strict=True)
            if org is not None
        )

    def revoke(self, api_key: str) -> bool:
        """Revoke a key, given whole or by the fingerprint `list` shows."""
        digest = hash_key(api_key)
        if not api_key.startswith(KEY_PREFIX) and len(api_key) == FINGERPRINT_CHARS:
            prefix = self._keys.api_key(api_key)
            found = [k for k in self._redis.scan_iter(match=prefix + "*", count=500)]
            digest = found[0].removeprefix(self._keys.api_key("")) if len(found) == 1 else digest
        org = self._redis.get(self._keys.api_key(digest))
        if org is None:
            return False
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._keys.api_key(digest))
        pipe.srem(self._keys.org_api_keys(org), digest)
        pipe.execute()
        return True

    def organization_for(self, api_key: str) -> str | None:
        """The org owning `api_key`, or None.

        Lookup is by SHA-256 of the presented key, so no stored secret is ever compared
        byte by byte with user input (no timing side channel on the key itself).
        """
        return self._redis.get(self._keys.api_key(hash_key(api_key)))

    def any_key_exists(self) -> bool:
        return (
            next(self._redis.scan_iter(match=self._keys.api_key("*"), count=100), None) is not None
        )
