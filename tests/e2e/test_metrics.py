"""GET /metrics as Prometheus scrapes it, from processes started as in production: two gunicorn
workers and a Celery worker writing one host's folder (SIEVE_METRICS_DIR), a second worker
host serving its own folder on SIEVE_WORKER_METRICS_PORT, and the bearer token setting."""

from __future__ import annotations

import json

import requests
from prometheus_client.parser import text_string_to_metric_families

from cli.embedded_redis import free_port, wait_for_port
from tests.e2e.conftest import fresh_database, wait_until
from tests.e2e.test_production import HEADERS, Deployment, _upload


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return sum(
        value
        for (found, keys), value in samples.items()
        if found == name and labels.items() <= dict(keys).items()
    )


def _validated(url: str, dataset_id: str) -> bool:
    answer = requests.get(f"{url}/v1/datasets/{dataset_id}", headers=HEADERS).json()
    return answer["dataset"]["validation_status"] == "validated"


def test_the_metrics_of_a_host_and_of_a_worker_host(redis_server, tmp_path):
    deployment = Deployment(
        fresh_database(redis_server),
        tmp_path,
        SIEVE_CHUNK_BYTES="20000",
        SIEVE_METRICS_DIR=str(tmp_path / "metrics"),
        WEB_CONCURRENCY="2",
    )
    worker_port = free_port()
    try:
        deployment.start_web("web.1", free_port())
        deployment.start("worker.1", "worker")
        url = deployment.urls[0]
        dataset_id = _upload(url, 3000, "counted")
        wait_until(lambda: _validated(url, dataset_id), timeout=60)
        for _ in range(6):  # spread over both gunicorn workers: the folder sums them
            requests.get(f"{url}/v1/datasets/usage", headers=HEADERS).raise_for_status()
        scraped = requests.get(f"{url}/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["Content-Type"].startswith("text/plain")
        samples = _samples(scraped.text)
        route = {"method": "GET", "route": "/v1/datasets/usage", "status": "200"}
        assert _value(samples, "sieve_http_requests_total", **route) == 6
        created = {"method": "POST", "route": "/v1/datasets", "status": "200"}
        assert _value(samples, "sieve_http_requests_total", **created) == 1
        sent = sum(len(json.dumps({"text": f"counted row {i}"})) + 1 for i in range(3000))
        assert _value(samples, "sieve_upload_bytes_total") == sent
        judged = {"dataset_type": "embed-input", "status": "validated"}
        assert _value(samples, "sieve_validations_total", **judged) == 1  # from the worker
        assert _value(samples, "sieve_validation_duration_seconds_count") == 1
        assert _value(samples, "sieve_rows_validated_total", dataset_type="embed-input") == 3000
        assert _value(samples, "sieve_datasets", status="validated") == 1
        assert _value(samples, "sieve_queue_depth") == 0
        assert _value(samples, "sieve_storage_used_bytes") == sent
        assert "counted row" not in scraped.text  # no dataset content

        # A worker host with no web process: its own folder, on its own port.
        deployment.start(
            "worker.2",
            "worker",
            SIEVE_METRICS_DIR=str(tmp_path / "other-host"),
            SIEVE_WORKER_METRICS_PORT=str(worker_port),
        )
        wait_for_port(worker_port, timeout=30)
        own = _samples(requests.get(f"http://127.0.0.1:{worker_port}/metrics").text)
        assert _value(own, "sieve_http_requests_total") == 0  # not the web host's figures
    finally:
        deployment.stop()


def test_a_metrics_token_is_asked_for_when_set(redis_server, tmp_path):
    deployment = Deployment(
        fresh_database(redis_server), tmp_path, SIEVE_METRICS_TOKEN="scrape-me", WEB_CONCURRENCY="1"
    )
    try:
        deployment.start_web("web.1", free_port())
        url = deployment.urls[0]
        refused = requests.get(f"{url}/metrics")
        assert refused.status_code == 401 and "SIEVE_METRICS_TOKEN" in refused.json()["message"]
        wrong = requests.get(f"{url}/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        allowed = requests.get(f"{url}/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert allowed.status_code == 200 and "sieve_queue_depth" in allowed.text
    finally:
        deployment.stop()
