"""The oldest cohere Python SDK of the 5 line (5.0.0, which keeps /v1 in its base URL and asks
for /datasets...) pointed at Sieve with the same base URL as the latest: create, wait, get,
list, usage, the parts' URLs, delete. It runs in a process of its own, from a directory pip fills
once (the latest runs in tests/e2e/test_sdk.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import KEYS, ROOT

OLDEST = "5.0.0"
PACKAGES = ROOT / "test-artifacts" / f"cohere-{OLDEST}"

SCRIPT = """
import io, json, sys, urllib.request
import cohere
import fastavro

url, key, out = sys.argv[1:4]
co = cohere.Client(api_key=key, base_url=url)
rows = b"".join(b'{"text": "row %d"}\\n' % i for i in range(7))
created = co.datasets.create(name="old sdk", type="embed-input", data=io.BytesIO(rows))
dataset = co.wait(created, timeout=60, interval=0.2).dataset
with open(out, "w") as saved:  # 5.0 has no save_dataset: the part URLs, as a user reads them
    for part in dataset.dataset_parts:
        for row in fastavro.reader(io.BytesIO(urllib.request.urlopen(part.url).read())):
            saved.write(json.dumps(row) + "\\n")
listed = [d.id for d in co.datasets.list().datasets]
usage = co.datasets.get_usage().organization_usage
deleted = co.datasets.delete(created.id)
print(json.dumps({
    "version": cohere.__version__ if hasattr(cohere, "__version__") else None,
    "status": dataset.validation_status, "listed": created.id in listed,
    "usage": usage, "deleted": deleted, "rows": sum(p.num_rows for p in dataset.dataset_parts),
}))
"""


@pytest.fixture(scope="module")
def oldest_sdk() -> Path:
    """cohere 5.0.0 alone (its dependencies are the test environment's own)."""
    if not (PACKAGES / "cohere").is_dir():
        installed = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
             str(PACKAGES), f"cohere=={OLDEST}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stderr
    return PACKAGES


def test_cohere_5_0_works_with_the_base_url_the_readme_gives(stack, oldest_sdk, tmp_path):
    out = tmp_path / "rows.jsonl"
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, stack.url, KEYS["acme"], str(out)],
        env={"PYTHONPATH": str(oldest_sdk), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["status"] == "validated" and found["rows"] == 7 and found["listed"]
    assert int(found["usage"]) > 0 and found["deleted"] == {}  # 5.0 types it as a string
    assert [json.loads(line)["text"] for line in out.read_text().splitlines()] == [
        f"row {i}" for i in range(7)
    ]
    imported = subprocess.run(
        [sys.executable, "-c", "import cohere, os; print(os.path.dirname(cohere.__file__))"],
        env={"PYTHONPATH": str(oldest_sdk)}, capture_output=True, text=True,
    )  # fmt: skip
    assert imported.stdout.strip() == str(oldest_sdk / "cohere")  # not the venv's latest
