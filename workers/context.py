"""Per-process access to Sieve's stores for task code (opened lazily, after the pool forks)."""

from __future__ import annotations

from store import Stores, open_stores
from store.settings import Settings

_stores: Stores | None = None
_settings: Settings | None = None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def stores() -> Stores:
    global _stores
    if _stores is None:
        _stores = open_stores(settings())
    return _stores
