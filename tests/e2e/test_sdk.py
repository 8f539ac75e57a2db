"""The official cohere SDK, pointed at Sieve, works unchanged: create, wait, get, list with
every filter, usage, save_dataset, delete — with two organizations kept apart."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import cohere
import pytest
from cohere.core.api_error import ApiError
from cohere.utils import SdkUtils, wait

from tests.e2e.conftest import KEYS

ROWS = [{"text": f"sentence number {i}", "lang": "en" if i % 2 else "fr"} for i in range(25)]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


@pytest.fixture(scope="module")
def clients(stack):
    return {org: cohere.Client(api_key=KEYS[org], base_url=stack.url) for org in ("acme", "globex")}


def test_create_wait_get_download_delete(clients, tmp_path):
    acme = clients["acme"]
    created = acme.datasets.create(
        name="Embeddings ÆØÅ",
        type="embed-input",
        data=io.BytesIO(_jsonl(ROWS)),
        keep_fields=["lang"],
    )
    assert created.id.startswith("embeddings-")
    done = wait(acme, created, timeout=60, interval=0.2)
    dataset = done.dataset
    assert dataset.validation_status == "validated"
    assert dataset.name == "Embeddings ÆØÅ"
    assert dataset.required_fields == ["text"] and dataset.preserve_fields == ["lang"]
    assert sum(part.num_rows for part in dataset.dataset_parts) == len(ROWS)
    assert json.loads(dataset.dataset_parts[0].samples[0]) == ROWS[0]
    assert json.loads(dataset.schema_)["type"] == "record"
    assert dataset.metrics.finetune_dataset_metrics.train_examples == len(ROWS)

    for fmt in ("jsonl", "csv", "avro"):
        SdkUtils.save_dataset(dataset, str(tmp_path / f"out.{fmt}"), fmt)
    saved = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert saved == ROWS

    assert acme.datasets.delete(created.id) == {}
    with pytest.raises(ApiError) as missing:
        acme.datasets.get(created.id)
    assert missing.value.status_code == 404


def test_a_failed_dataset_names_row_and_field(clients):
    acme = clients["acme"]
    rows = [*ROWS[:3], {"text": ""}, *ROWS[3:]]
    created = acme.datasets.create(name="broken", type="embed-input", data=io.BytesIO(_jsonl(rows)))
    with pytest.raises(Exception, match="row 4 of the train file: field 'text' is empty"):
        wait(acme, created, timeout=60, interval=0.2)
    acme.datasets.delete(created.id)


def test_list_filters_usage_and_isolation(clients, stack):
    acme, globex = clients["acme"], clients["globex"]
    usage_before = acme.datasets.get_usage().organization_usage
    data = _jsonl(ROWS)
    good = [
        acme.datasets.create(name=f"good {i}", type="embed-input", data=io.BytesIO(data))
        for i in range(3)
    ]
    bad = acme.datasets.create(name="bad", type="embed-input", data=io.BytesIO(b'{"text": 1}\n'))
    other = globex.datasets.create(name="theirs", type="embed-input", data=io.BytesIO(data))
    for created in [*good, bad]:
        stack.wait_final(created.id, "acme")
    stack.wait_final(other.id, "globex")

    assert acme.datasets.get_usage().organization_usage == usage_before + 3 * len(data) + len(
        b'{"text": 1}\n'
    )
    listed = acme.datasets.list().datasets
    ids = [d.id for d in listed]
    assert ids[:4] == [bad.id, *[g.id for g in reversed(good)]]  # newest first
    assert other.id not in ids

    validated = acme.datasets.list(validation_status="validated").datasets
    assert {d.id for d in validated} >= {g.id for g in good} and bad.id not in {
        d.id for d in validated
    }
    failed = acme.datasets.list(validation_status="failed").datasets
    assert bad.id in {d.id for d in failed}
    assert acme.datasets.list(dataset_type="embed-input").datasets
    chats = acme.datasets.list(dataset_type="chat-finetune-input").datasets  # other tests' only
    assert all(d.dataset_type == "chat-finetune-input" for d in chats)
    assert not {d.id for d in chats} & {bad.id, *[g.id for g in good]}

    page = acme.datasets.list(limit=2.0, offset=1.0).datasets
    assert [d.id for d in page] == ids[1:3]
    middle = next(d for d in listed if d.id == good[1].id).created_at
    before = {d.id for d in acme.datasets.list(before=middle).datasets}
    after = {d.id for d in acme.datasets.list(after=middle).datasets}
    assert good[0].id in before and good[1].id not in before and bad.id not in before
    assert good[2].id in after and bad.id in after and good[0].id not in after
    assert acme.datasets.list(after=datetime.now(UTC) + timedelta(hours=1)).datasets == []

    for action in (
        lambda: globex.datasets.get(good[0].id),
        lambda: globex.datasets.delete(good[0].id),
    ):
        with pytest.raises(ApiError) as hidden:
            action()
        assert hidden.value.status_code == 404
    assert globex.datasets.get(other.id).dataset.name == "theirs"

    for created in [*good, bad]:
        acme.datasets.delete(created.id)
    globex.datasets.delete(other.id)
    assert acme.datasets.get_usage().organization_usage == usage_before
