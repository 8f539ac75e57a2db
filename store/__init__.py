"""Sieve's state: dataset records, quota and API keys in Redis; files in blob storage."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis

from store.apikeys import ApiKeyStore
from store.blobs import BlobStore, open_blob_store
from store.datasets import DatasetStore
from store.keys import RedisKeys
from store.quota import QuotaStore
from store.ratelimit import RateLimiter
from store.redis_client import connect
from store.settings import Settings
from store.signing import DownloadLinks, UrlSigner
from store.slots import SEARCH_HOLD_SECONDS, ConcurrencySlots
from store.uploads import UploadStore
from store.webhooks import WebhookStore


@dataclass(frozen=True)
class Stores:
    settings: Settings
    redis: redis.Redis
    keys: RedisKeys
    datasets: DatasetStore
    quota: QuotaStore
    api_keys: ApiKeyStore
    blobs: BlobStore
    signer: UrlSigner
    links: DownloadLinks
    create_rate: RateLimiter
    searches: ConcurrencySlots  # an organization's row searches running at once
    uploads: UploadStore
    webhooks: WebhookStore


def signing_secret(settings: Settings, client: redis.Redis, keys: RedisKeys) -> str:
    """SIEVE_SECRET_KEY, or a random secret generated once and shared through Redis so every
    web process of a deployment signs and verifies download URLs alike."""
    if settings.secret_key:
        return settings.secret_key
    client.set(keys.shared_secret(), secrets.token_hex(32), nx=True)
    return client.get(keys.shared_secret())


def open_stores(settings: Settings, client: redis.Redis | None = None) -> Stores:
    client = client if client is not None else connect(settings)
    keys = RedisKeys(settings.key_prefix)
    secret = signing_secret(settings, client, keys)
    signer = UrlSigner(secret)
    return Stores(
        settings=settings,
        redis=client,
        keys=keys,
        datasets=DatasetStore(client, keys),
        quota=QuotaStore(client, keys, settings.max_org_bytes),
        api_keys=ApiKeyStore(client, keys),
        blobs=open_blob_store(settings),
        signer=signer,
        links=DownloadLinks(signer, settings.public_url),
        create_rate=RateLimiter(client, keys, settings.create_rate_per_minute),
        searches=ConcurrencySlots(client, keys, settings.max_searches_per_org, SEARCH_HOLD_SECONDS),
        uploads=UploadStore(client, keys),
        webhooks=WebhookStore(client, keys, secret),
    )


def seed_api_keys(stores: Stores) -> None:
    """Register the keys given in SIEVE_API_KEYS (Heroku-style config)."""
    for org, api_key in stores.settings.api_keys:
        stores.api_keys.register(org, api_key)
