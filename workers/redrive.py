"""Driving stalled work again. Redis may lose task messages (a crash loses up to its last
second of writes; a long outage outlasts the tasks' patience, leaving messages unacknowledged
until the visibility timeout). Every step is idempotent, so beat's sweep simply sends again
what a quiet, unfinished dataset still needs: its start, its missing chunks, or its finalize.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from store import Stores
from store.records import DatasetRecord
from store.removal import remove_dataset
from workers.planning import Chunk
from workers.status import QUEUE, UNACKED  # messages name their dataset in clear text

log = logging.getLogger(__name__)

UNACKED_INDEX = "unacked_index"  # kombu: delivery tag -> when it was delivered


@dataclass(frozen=True)
class Redrive:
    """What one stalled dataset needs sent again."""

    dataset_id: str
    start: bool = False
    chunks: tuple[Chunk, ...] = ()
    finalize: bool = False


def plan_redrives(stores: Stores, quiet_seconds: float) -> list[Redrive]:
    """The datasets not final, quiet for `quiet_seconds` and with no message waiting, and what
    each needs. Each is marked as progressing, so it is driven again only after another quiet
    spell."""
    candidates = stores.datasets.quiet_active_ids(quiet_seconds)
    if not candidates:
        return []
    waiting = stores.redis.lrange(QUEUE, 0, -1) + _recently_delivered(stores, quiet_seconds)
    redrives = []
    for dataset_id in candidates:
        record = stores.datasets.get(dataset_id)
        if record is None or record.terminal:
            stores.datasets.forget_active(dataset_id)
            continue
        if record.receiving:  # its upload keeps it fresh while alive
            if stores.datasets.quiet_for(dataset_id) > stores.settings.abandoned_upload_seconds:
                log.warning("dataset %s: its upload was abandoned; removing it", dataset_id)
                remove_dataset(stores, dataset_id)
            continue
        stores.datasets.mark_progress(dataset_id)
        if any(dataset_id in message for message in waiting):
            continue  # its work is queued or running: slow, not stalled
        redrives.append(_needs(stores, record))
    return redrives


def _recently_delivered(stores: Stores, seconds: float) -> list[str]:
    """Messages a worker took less than `seconds` ago and has not acknowledged: running.
    Older ones were left behind by an outage (they come back only after the visibility
    timeout), so they don't count as work under way."""
    tags = stores.redis.zrangebyscore(UNACKED_INDEX, time.time() - seconds, "+inf")
    return [message for message in stores.redis.hmget(UNACKED, tags) if message] if tags else []


def _needs(stores: Stores, record: DatasetRecord) -> Redrive:
    dataset_id = record.id
    if record.chunks_total is None:  # not planned yet (or only streamed): start it
        return Redrive(dataset_id, start=True)
    reported = stores.datasets.chunk_reports(dataset_id)
    missing = tuple(
        chunk
        for chunk in (Chunk.from_dict(c) for c in record.plan["chunks"])
        if chunk.index not in reported
    )
    return Redrive(dataset_id, chunks=missing) if missing else Redrive(dataset_id, finalize=True)
