"""Secrets Sieve must read back (a webhook's signing secret) kept sealed in Redis.

A copy of Redis (a backup, an AOF file, a replica) then does not give away what signs webhook
messages: each value is sealed with AES-256-GCM under a key derived from SIEVE_SECRET_KEY
(HKDF-SHA256, one key per purpose), bound to the record it belongs to (a sealed value copied
into another record does not open). Without SIEVE_SECRET_KEY the key comes from the secret
Sieve generated in Redis itself: sealed alike, but then a copy of Redis holds the key too —
set SIEVE_SECRET_KEY where that matters (docs/operations.md).

A value written before sealing existed (no `sealed:v1:` mark) opens as it is.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MARK = "sealed:v1:"
NONCE_BYTES = 12


class SealBroken(ValueError):
    """A sealed value that this key cannot open (SIEVE_SECRET_KEY changed since it was sealed,
    or the value was altered)."""


class Sealer:
    def __init__(self, secret_key: str, purpose: str) -> None:
        derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        self._aead = AESGCM(derive.derive(secret_key.encode()))

    def seal(self, plain: str, owner: str) -> str:
        """`plain` sealed for the record `owner` (e.g. a webhook id)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain.encode(), owner.encode())
        return MARK + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, owner: str) -> str:
        """The plain value of what `seal` gave for `owner` (a value never sealed: as it is)."""
        if not stored.startswith(MARK):
            return stored
        try:
            raw = base64.b64decode(stored[len(MARK) :], validate=True)
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode()).decode()
        except (InvalidTag, ValueError) as exc:  # ValueError: not base64, or cut short
            raise SealBroken("sealed with another key, or altered") from exc
