"""schemathesis against a live Sieve, from the API's own /openapi.json, with a fixed seed:
no server errors, no response that breaks the documented schema."""

from __future__ import annotations

import re
import subprocess

import requests

from tests.e2e.conftest import BIN, KEYS


def test_openapi_document_is_served_without_auth(stack):
    document = requests.get(f"{stack.url}/openapi.json").json()
    assert set(document["paths"]) == {
        "/v1/datasets",
        "/v1/datasets/usage",
        "/v1/datasets/{dataset_id}",
        "/v1/datasets/{dataset_id}/report",
        "/v1/datasets/{dataset_id}/rows",
        "/v1/datasets/{dataset_id}/profile",
        "/v1/uploads",
        "/v1/uploads/{upload_id}",
        "/v1/uploads/{upload_id}/parts/{number}",
        "/v1/uploads/{upload_id}/complete",
        "/v1/dataset-types",
        "/v1/dataset-types/{name}",
        "/v1/blobs/{key}",
        "/v1/status",
        "/v1/webhooks",
        "/v1/webhooks/{webhook_id}",
        "/v1/webhooks/{webhook_id}/deliveries",
        "/v1/webhooks/{webhook_id}/test",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/",
    }
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_docs_page_and_its_assets_are_served_from_the_package(stack):
    page = requests.get(f"{stack.url}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/") for source in sources)  # no CDN
    for source in sources:
        asset = requests.get(f"{stack.url}{source}")
        assert asset.status_code == 200 and len(asset.content) > 50, source
    assert requests.get(f"{stack.url}/docs/assets/../../etc/passwd").status_code == 404


def test_schemathesis_finds_no_server_error_and_no_schema_violation(stack, tmp_path):
    report = tmp_path / "report.ndjson"
    run = subprocess.run(
        [
            str(BIN / "st"),
            "run",
            f"{stack.url}/openapi.json",
            "-H",
            f"Authorization: Bearer {KEYS['fuzz']}",
            "--seed",
            "20261121",
            "--max-examples",
            "250",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--request-timeout",
            "60",  # generous: this 2-core machine also runs the workers
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,  # schemathesis keeps its cache in the working directory
    )
    assert run.returncode == 0, run.stdout[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated, run.stdout[-3000:]
    assert int(generated.group(1)) >= 1000 and generated.group(1) == generated.group(2)
    assert report.read_text().strip()  # the machine-readable report was written
