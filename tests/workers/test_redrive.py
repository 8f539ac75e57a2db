"""Beat's sweep finds the datasets whose work stalled (messages lost with Redis) and says what
each needs sent again; quiet datasets with queued work, and finished ones, are left alone."""

from __future__ import annotations

import time

from tests.conftest import queued_record
from workers.planning import Chunk
from workers.redrive import QUEUE, Redrive, plan_redrives

CHUNKS = [Chunk(i, "train", i * 10, i * 10 + 10) for i in range(3)]


def _dataset(stores, dataset_id: str, quiet_for: float = 600) -> None:
    stores.datasets.create(queued_record(dataset_id), None)
    _quiet(stores, dataset_id, quiet_for)


def _quiet(stores, dataset_id: str, seconds: float) -> None:
    stores.redis.zadd(stores.keys.active_datasets(), {dataset_id: time.time() - seconds})


def test_a_lost_start_a_lost_chunk_and_a_lost_finalize_are_sent_again(make_stores):
    stores = make_stores()
    _dataset(stores, "never-started")
    _dataset(stores, "half-done")
    _dataset(stores, "all-reported")
    plan = {"chunks": [c.to_dict() for c in CHUNKS], "csv_headers": {}}
    for dataset_id in ("half-done", "all-reported"):
        stores.datasets.transition(dataset_id, "processing", plan=plan, chunks_total=3)
        stores.datasets.save_chunk_report(dataset_id, 0, {"rows_seen": 1}, 1)
    for index in (1, 2):
        stores.datasets.save_chunk_report("all-reported", index, {"rows_seen": 1}, 1)
    for dataset_id in ("never-started", "half-done", "all-reported"):
        _quiet(stores, dataset_id, 600)

    found = {r.dataset_id: r for r in plan_redrives(stores, quiet_seconds=60)}
    assert found == {
        "never-started": Redrive("never-started", start=True),
        "half-done": Redrive("half-done", chunks=tuple(CHUNKS[1:])),
        "all-reported": Redrive("all-reported", finalize=True),
    }
    assert plan_redrives(stores, quiet_seconds=60) == []  # driven: not quiet any more


def test_progress_queued_work_and_finished_datasets_are_left_alone(make_stores):
    stores = make_stores()
    _dataset(stores, "busy", quiet_for=5)
    _dataset(stores, "waiting-in-line")
    stores.redis.rpush(QUEUE, '{"headers": {"argsrepr": "(\'waiting-in-line\', 2)"}}')
    _dataset(stores, "done")
    stores.datasets.transition("done", "validated", parts=[])
    _dataset(stores, "deleted")
    stores.datasets.delete("deleted")
    assert plan_redrives(stores, quiet_seconds=60) == []
    assert set(stores.redis.zrange(stores.keys.active_datasets(), 0, -1)) == {
        "waiting-in-line",
        "busy",
    }


def test_work_a_worker_took_recently_is_running_but_work_taken_before_an_outage_is_lost(
    make_stores,
):
    from workers.redrive import UNACKED, UNACKED_INDEX

    stores = make_stores()
    _dataset(stores, "running")
    _dataset(stores, "lost-in-outage")
    for dataset_id, taken in (("running", time.time() - 2), ("lost-in-outage", time.time() - 900)):
        tag = f"tag-{dataset_id}"
        stores.redis.hset(UNACKED, tag, f'[{{"headers": {{"argsrepr": "(\'{dataset_id}\',)"}}}}]')
        stores.redis.zadd(UNACKED_INDEX, {tag: taken})
    found = plan_redrives(stores, quiet_seconds=60)
    assert found == [Redrive("lost-in-outage", start=True)]
