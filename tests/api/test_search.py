"""Row searches bounded per organization (429 beyond, across web processes through Redis) and
within a budget that counts waiting too (partial: true when it runs out)."""

from __future__ import annotations

import json

from api import create_app
from tests.api.test_views import RecordingEnqueuer
from tests.workers.test_full_report import _validated

ACME = {"Authorization": "Bearer key-acme"}
GLOBEX = {"Authorization": "Bearer key-globex"}


def _service(make_stores, **settings):
    stores = make_stores(**settings)
    stores.api_keys.register("acme", "key-acme")
    stores.api_keys.register("globex", "key-globex")
    client = create_app(stores.settings, stores, RecordingEnqueuer()).test_client()
    body = b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(50))
    _validated(stores, "rows-1", body)
    return stores, client


def test_an_organization_runs_so_many_searches_at_once_then_429(make_stores):
    stores, client = _service(make_stores, max_searches_per_org=2)
    held = [stores.searches.take("acme") for _ in range(2)]  # two running elsewhere
    assert all(held) and stores.searches.take("acme") is None
    refused = client.get("/v1/datasets/rows-1/rows?q=row", headers=ACME)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.get_json() == {
        "message": "this organization runs 2 searches already: retry in a second"
    }
    assert client.get("/v1/datasets/rows-1/rows?limit=1", headers=ACME).status_code == 200  # pages
    stores.searches.give_back("acme", held[0])
    found = client.get("/v1/datasets/rows-1/rows?q=row 7", headers=ACME).get_json()
    assert [row["data"]["text"] for row in found["rows"]] == ["row 7"] and not found["partial"]
    assert stores.searches.take("acme") is not None  # the search gave its slot back


def test_a_slot_of_a_process_that_died_lapses(make_stores, monkeypatch):
    import time

    stores, _ = _service(make_stores, max_searches_per_org=1)
    assert stores.searches.take("acme") is not None  # never given back
    assert stores.searches.take("acme") is None
    later = time.time() + 31
    monkeypatch.setattr(time, "time", lambda: later)
    assert stores.searches.take("acme") is not None


def test_the_budget_counts_the_wait_and_the_answer_says_partial(make_stores):
    _, client = _service(make_stores, search_seconds=0.0)
    found = client.get("/v1/datasets/rows-1/rows?q=row", headers=ACME).get_json()
    assert found["partial"] is True and found["rows"] == [] and found["total"] == 0
