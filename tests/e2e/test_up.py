"""`sieve up` as a newcomer meets it: installed from the built wheel into a clean virtualenv,
run from an empty directory with nothing but that virtualenv on PATH (no redis-server), its
embedded server durable across restarts and supervised; Ctrl-C stops everything, every time;
two instances side by side never meet; a bad setting or a failing child is one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import cohere
import psutil
import pytest
import requests
from cohere.utils import wait

from cli.embedded_redis import free_port, port_is_free, recorded_address
from tests.e2e.conftest import BIN, ROOT, SieveUp, start_sieve_up

STOP_SECONDS = 10
PACKAGES = ("api", "workers", "validators", "store", "cli")


def _left_of(data_dir: Path) -> list[str]:
    """Command lines of live processes of the instance using `data_dir`: its children carry
    SIEVE_DATA_DIR, its Redis server works in the directory (valkey rewrites its title and
    environment, so its working directory is what gives it away)."""
    left = []
    for process in psutil.process_iter(["cmdline", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(process.info["cmdline"] or [])
            if (
                str(data_dir) in cmdline
                or process.environ().get("SIEVE_DATA_DIR") == str(data_dir)
                or process.cwd().startswith(str(data_dir))
            ):
                left.append(cmdline)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return left


def _stop(up: SieveUp, port: int, data_dir: Path) -> None:
    """Ctrl-C; every process of the instance gone within 10 s and the port free."""
    assert up.interrupt(timeout=STOP_SECONDS + 5) <= STOP_SECONDS
    assert up.process.returncode == 0, up.stderr()
    assert _left_of(data_dir) == []
    assert port_is_free(port)


def _env(data_dir: Path, path: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIEVE_", "REDIS_"))}
    env.update({"SIEVE_DATA_DIR": str(data_dir), **extra})
    if path is not None:
        env["PATH"] = path
    return env


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh virtualenv with the built wheel installed (not editable): the runtime set only."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # the package's own files only: no stale build/ slips in
    skip = shutil.ignore_patterns("__pycache__")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(base / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((base / "dist").glob("sieve-*.whl"))
    venv.EnvBuilder(with_pip=True).create(base / "venv")
    subprocess.run(
        [str(base / "venv/bin/python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return base / "venv"


def test_the_wheel_runs_from_anywhere_durable_supervised_and_stops_on_ctrl_c(wheel_venv, tmp_path):
    bin_dir = wheel_venv / "bin"
    installed = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    assert "sieve==" in installed and "editable" not in installed
    for dev_only in ("fakeredis", "moto", "matplotlib", "pytest", "cohere"):
        assert f"\n{dev_only}==" not in f"\n{installed}", dev_only
    workdir = tmp_path / "anywhere"
    workdir.mkdir()
    env = _env(tmp_path / "data", path=str(bin_dir))  # nothing else on PATH: no redis-server
    port = free_port()

    up = start_sieve_up(bin_dir / "sieve", port, env, workdir, "--workers", "1")
    assert up.banner[-1].startswith("Next: sieve upload"), (up.banner, up.stderr())
    assert up.url == f"http://127.0.0.1:{port}" and up.key
    address = recorded_address(tmp_path / "data")
    assert address is not None and address.port != 6379
    with pytest.raises(requests.ConnectionError):  # bound to 127.0.0.1 only
        requests.get(f"http://{_external_address()}:{port}/healthz", timeout=2)

    co = cohere.Client(api_key=up.key, base_url=up.url)
    (workdir / "texts.jsonl").write_text('{"text": "hello"}\n{"text": "world"}\n')
    with open(workdir / "texts.jsonl", "rb") as data:
        created = co.datasets.create(name="durable", type="embed-input", data=data)
    assert wait(co, created, interval=0.2, timeout=60).dataset.validation_status == "validated"
    usage = co.datasets.get_usage().organization_usage
    assert usage and int(usage) > 0
    _stop(up, port, tmp_path / "data")

    again = start_sieve_up(bin_dir / "sieve", port, env, workdir, "--workers", "1")
    assert again.key == up.key, again.banner  # the same key, still valid
    co = cohere.Client(api_key=again.key, base_url=again.url)
    assert co.datasets.get(created.id).dataset.validation_status == "validated"
    assert co.datasets.get_usage().organization_usage == usage

    # the embedded server dies: it is restarted from its AOF and the service carries on
    server = next(p for p in again.processes() if "valkey-server" in p.name())
    server.kill()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if co.datasets.get(created.id).dataset.validation_status == "validated":
                break
        except Exception:  # noqa: BLE001 - 503 while it restarts
            time.sleep(0.2)
    with open(workdir / "texts.jsonl", "rb") as data:
        after = co.datasets.create(name="after the kill", type="embed-input", data=data)
    assert wait(co, after, interval=0.2, timeout=90).dataset.validation_status == "validated"
    assert "restarting it" in again.stderr()
    _stop(again, port, tmp_path / "data")


def _external_address() -> str:
    """An address of this machine other than loopback (for the bind check)."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family.name == "AF_INET" and not address.address.startswith("127."):
                return address.address
    pytest.skip("no non-loopback IPv4 address to probe")


def test_ctrl_c_stops_every_process_within_10_s_twenty_times_in_a_row(tmp_path):
    port = free_port()
    env = _env(tmp_path / "data")
    for attempt in range(20):
        up = start_sieve_up(BIN / "sieve", port, env, tmp_path, "--workers", "1")
        assert up.key and len(up.processes()) >= 5, (attempt, up.banner, up.stderr())
        running = _left_of(tmp_path / "data")  # sieve up, web, worker, beat, valkey at least
        assert len(running) >= 5 and any("valkey-server" in c for c in running), running
        _stop(up, port, tmp_path / "data")


def test_two_instances_side_by_side_never_see_each_others_keys(tmp_path):
    ports = free_port(), free_port()
    envs = [_env(tmp_path / name) for name in ("one", "two")]
    ups = [
        start_sieve_up(BIN / "sieve", port, env, tmp_path, "--workers", "1")
        for port, env in zip(ports, envs, strict=True)
    ]
    try:
        first, second = ups
        addresses = [recorded_address(tmp_path / name) for name in ("one", "two")]
        assert addresses[0].port != addresses[1].port
        assert first.key != second.key
        made = subprocess.run(
            [str(BIN / "sieve"), "keys", "create", "--org", "acme"],
            env=envs[0],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for key, url, expected in (
            (made, first.url, 200),
            (made, second.url, 401),
            (first.key, second.url, 401),
            (second.key, first.url, 401),
            (second.key, second.url, 200),
        ):
            response = requests.get(
                f"{url}/v1/datasets", headers={"Authorization": f"Bearer {key}"}
            )
            assert response.status_code == expected, (url, response.text)
        runs = [
            subprocess.run(
                [str(BIN / "sieve"), "keys", "list"], env=env, capture_output=True, text=True
            )
            for env in envs
        ]
        assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
        listed = [run.stdout for run in runs]
        assert "acme" in listed[0] and "acme" not in listed[1]
        # a second `sieve up` on the same data directory is refused, in one line
        twin = start_sieve_up(BIN / "sieve", free_port(), envs[0], tmp_path)
        assert twin.process.wait(timeout=30) == 1
        assert twin.stderr().strip().count("\n") == 0
        assert "another `sieve up` is running" in twin.stderr()
    finally:
        for port, up, name in zip(ports, ups, ("one", "two"), strict=True):
            _stop(up, port, tmp_path / name)


def test_a_bad_setting_or_a_child_failing_at_start_is_one_line_and_leaves_nothing(tmp_path):
    port = free_port()
    started = time.monotonic()
    bad = start_sieve_up(BIN / "sieve", port, _env(tmp_path / "a", WEB_CONCURRENCY="abc"), tmp_path)
    assert bad.process.wait(timeout=30) == 2
    assert bad.stderr() == (
        "Error: WEB_CONCURRENCY='abc' is not valid: expected a whole number of 0 or more\n"
    )
    assert time.monotonic() - started < 10

    env = _env(tmp_path / "b", SIEVE_BEAT_SCHEDULE="/proc/no-such-dir/schedule")
    failing = start_sieve_up(BIN / "sieve", port, env, tmp_path, "--workers", "1")
    assert failing.process.wait(timeout=30) == 1
    message = failing.stderr()
    assert message.count("\n") == 1 and message.startswith(
        "sieve up: the beat process stopped at start"
    ), message
    assert "No such file or directory" in message and "/proc/no-such-dir/schedule" in message
    assert str(tmp_path / "b" / "logs" / "beat.log") in message
    assert _left_of(tmp_path / "b") == [] and port_is_free(port)
