"""What beat sweeps away: datasets older than the retention period, and what uploads cut short
by a dead web process left behind (their quota reservation and temp file)."""

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


def reclaim_abandoned_uploads(stores: Stores) -> tuple[int, int]:
    """Release the quota and delete the temp files of uploads silent for longer than
    SIEVE_ABANDONED_UPLOAD_SECONDS (a live upload beats far more often, see api/uploads.py).
    Returns (reservations released, temp files removed)."""
    silent = stores.settings.abandoned_upload_seconds
    return stores.quota.release_abandoned(silent), stores.blobs.remove_abandoned_writes(silent)
