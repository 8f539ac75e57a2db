"""Automatic deletion of datasets older than the retention period."""

from __future__ import annotations

from datetime import timedelta

from store import Stores
from store.datasets import utc_now
from store.removal import remove_dataset


def purge_expired(stores: Stores) -> int:
    """Remove every dataset created more than SIEVE_RETENTION_DAYS ago; returns how many.
    Safe to run concurrently: removal releases quota only for the call that removed the record."""
    cutoff = utc_now() - timedelta(days=stores.settings.retention_days)
    removed = 0
    while ids := stores.datasets.ids_created_before(cutoff):
        for dataset_id in ids:
            removed += remove_dataset(stores, dataset_id)
            stores.datasets.forget(dataset_id)
    return removed
