"""What beat sweeps away: datasets older than the retention period, what uploads cut short by a
dead web process left behind (their quota reservation and temp file), and any stored folder
that nothing refers to."""

from __future__ import annotations

import time
from datetime import timedelta

from store import Stores
from store.datasets import utc_now
from store.removal import DATASETS_FOLDER, dataset_prefix, remove_dataset, remove_upload
from store.uploads import UploadState


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


def expire_uploads(stores: Stores) -> int:
    """Remove the resumable uploads not completed within SIEVE_UPLOAD_EXPIRY_SECONDS (parts,
    chunks, reservation); returns how many. One caught completing is left to its request,
    unless that request died: then its dataset is kept if it was recorded whole."""
    removed = 0
    for upload_id in stores.uploads.expired_ids():
        upload = stores.uploads.get(upload_id)
        if upload is None:
            stores.uploads.forget(upload_id)
        elif stores.uploads.move(upload_id, UploadState.OPEN, UploadState.ABORTED):
            remove_upload(stores, upload)
            removed += 1
        elif upload.state is UploadState.COMPLETING:
            record = stores.datasets.get(upload.dataset_id)
            if record is not None and not record.receiving:
                stores.uploads.finish(upload, stores.settings.upload_expiry_seconds)
            else:
                remove_upload(stores, upload)
                removed += 1
    return removed


def remove_orphans(stores: Stores) -> int:
    """Belt and braces: delete each dataset folder in storage that no dataset record, upload in
    flight or resumable upload refers to, once nothing was written to it for
    SIEVE_ABANDONED_UPLOAD_SECONDS (what a web process killed mid-write leaves, or any
    bug). Returns how many."""
    owners = [
        *stores.datasets.all_ids(),
        *stores.quota.reserving_ids(),
        *stores.uploads.dataset_ids(),
    ]
    owned = {dataset_prefix(dataset_id) for dataset_id in owners}
    cutoff = time.time() - stores.settings.abandoned_upload_seconds
    removed = 0
    for name in stores.blobs.folders(DATASETS_FOLDER):
        folder = f"{DATASETS_FOLDER}/{name}"
        if folder in owned:
            continue
        newest = stores.blobs.newest_write(folder)
        if newest is None or newest < cutoff:
            stores.blobs.delete_prefix(folder)
            removed += 1
    return removed
