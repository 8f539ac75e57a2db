"""`sieve up` brings up a working service; `sieve keys create` prints a usable key alone."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import requests

from cli.launcher import free_port
from tests.e2e.conftest import BIN, ROOT, sieve_cli


def test_sieve_up_serves_with_its_first_key_and_keys_create_adds_more(redis_server, tmp_path):
    port = free_port()
    env = {**os.environ, "REDIS_URL": f"{redis_server}/14", "SIEVE_CHUNK_BYTES": "4"}
    env.pop("SIEVE_API_KEYS", None)
    up = subprocess.Popen(
        [
            str(BIN / "sieve"),
            "up",
            "--port",
            str(port),
            "--workers",
            "1",
            "--data-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = [up.stdout.readline(), up.stdout.readline()]
        assert f"http://127.0.0.1:{port}" in lines[0]
        key = lines[1].rsplit(" ", 1)[1].strip()
        created = requests.post(
            f"http://127.0.0.1:{port}/v1/datasets",
            params={"name": "up", "type": "embed-input"},
            files={"data": ("a.txt", b"one\ntwo\nthree\n")},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert created.status_code == 200, created.text

        other = sieve_cli(env, "keys", "create", "--org", "acme")
        assert len(other.splitlines()) == 1 and other.startswith("sk-sieve-")
        headers = {"Authorization": f"Bearer {other.strip()}"}
        response = requests.get(
            f"http://127.0.0.1:{port}/v1/datasets/{created.json()['id']}", headers=headers
        )
        assert response.status_code == 404  # another organization

        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status not in ("validated", "failed"):
            time.sleep(0.2)
            dataset = requests.get(
                f"http://127.0.0.1:{port}/v1/datasets/{created.json()['id']}",
                headers={"Authorization": f"Bearer {key}"},
            ).json()["dataset"]
            status = dataset["validation_status"]
        assert status == "validated" and len(dataset["dataset_parts"]) > 1
    finally:
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0
