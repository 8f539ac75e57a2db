"""Capability URLs: an HMAC over (blob key, expiry). Whoever holds the URL may fetch that blob
until it expires; changing the key or the expiry invalidates the signature."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode


class UrlSigner:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a URL-signing secret is required")
        self._secret = secret.encode("utf-8")

    def _signature(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, key: str, ttl_seconds: int, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + ttl_seconds)
        return urlencode({"expires": expires, "signature": self._signature(key, expires)})

    def verify(self, key: str, expires: str, signature: str, now: float | None = None) -> bool:
        try:
            expiry = int(expires)
        except (TypeError, ValueError):
            return False
        if expiry < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._signature(key, expiry), signature or "")


class DownloadLinks:
    """Absolute, signed, expiring download URLs of blobs, answered by GET /v1/blobs/<key>
    whatever the storage behind it."""

    def __init__(self, signer: UrlSigner, public_url: str) -> None:
        self._signer = signer
        self._public_url = public_url.rstrip("/")

    def url(self, key: str, ttl_seconds: int) -> str:
        return f"{self._public_url}/v1/blobs/{key}?{self._signer.sign(key, ttl_seconds)}"
