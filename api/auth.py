"""Bearer API keys -> organization, for every /v1/datasets request."""

from __future__ import annotations

from flask import Response, g, request

from api.context import sieve
from api.errors import ApiError
from store.apikeys import hash_key

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sieve"'}  # RFC 6750
INVALID = {"WWW-Authenticate": 'Bearer realm="sieve", error="invalid_token"'}


def require_organization() -> None:
    """before_request hook: sets g.org or answers 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'", CHALLENGE)
    org = sieve().stores.api_keys.organization_for(token.strip())
    if org is None:
        raise ApiError(401, "invalid API key", {**CHALLENGE, **INVALID})
    g.org = org
    g.key_hash = hash_key(token.strip())


def keep_out_of_caches(response: Response) -> Response:
    """after_request hook: what an API key was shown (a dataset, its rows, its report) is its
    organization's alone: no browser or shared cache may keep it."""
    if g.get("org") is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
