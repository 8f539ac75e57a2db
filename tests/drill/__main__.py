"""`make drill`: the multi-host deployment run as separate hosts (network namespaces, root
needed) and put through what hosts do in production: share work, answer alike, die, lose
their link. Prints one line per check with its figures; exits 1 on the first failure (with
the hosts' log tails), 2 when it can't run here. Everything it made is torn down."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests

from tests.drill.deployment import API_KEY, Deployment
from tests.e2e.conftest import open_raw_upload

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
ROWS_PER_MB = 16_384  # rows of 64 bytes: a MiB
SETTINGS = {  # docs/multi-host.md's defaults but for what makes the drill short
    "SIEVE_CHUNK_BYTES": "256KiB",  # many chunks, so both worker hosts get some
    "SIEVE_WORKER_CONCURRENCY": "1",
    "WEB_CONCURRENCY": "2",
    "SIEVE_ABANDONED_UPLOAD_SECONDS": "10",  # a dead web host's upload is swept sooner
    "SIEVE_RETENTION_SWEEP_SECONDS": "2",
}


class DrillFailed(AssertionError):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise DrillFailed(message)


def passed(message: str) -> None:
    print(f"  ok  {message}", flush=True)


def rows_file(megabytes: int, tag: str) -> bytes:
    """`megabytes` MiB of distinct 64-byte JSONL rows."""
    head = b'{"text": "%s row ' % tag.encode()
    width = 64 - len(head) - len(b'"}\n')
    rows = (head + b"%0*d" % (width, i) + b'"}\n' for i in range(megabytes * ROWS_PER_MB))
    return b"".join(rows)


class Drill:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.redis = redis.Redis.from_url(deployment.redis_url, decode_responses=True)

    # -- what the checks read -----------------------------------------------------------
    def get(self, web: str, path: str) -> dict:
        response = requests.get(f"{self.deployment.url(web)}{path}", headers=HEADERS, timeout=10)
        check(response.status_code == 200, f"{web} GET {path}: {response.status_code}")
        return response.json()

    def upload(self, web: str, body: bytes, name: str) -> str:
        response = requests.post(
            f"{self.deployment.url(web)}/v1/datasets",
            params={"name": name, "type": "embed-input"},
            files={"data": (f"{name}.jsonl", body)},
            headers=HEADERS,
            timeout=300,
        )
        check(response.status_code == 200, f"upload to {web}: {response.text}")
        return response.json()["id"]

    def verdict(self, web: str, dataset_id: str, within: float) -> dict:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            dataset = self.get(web, f"/v1/datasets/{dataset_id}")["dataset"]
            if dataset["validation_status"] in ("validated", "failed"):
                return dataset
            time.sleep(0.2)
        raise DrillFailed(f"{dataset_id}: no verdict within {within:g} s")

    def reserved(self) -> int:
        """Bytes the organization's uploads in flight hold."""
        return sum(int(n) for n in self.redis.hvals("sieve:org:drill:reservations"))

    def listed_ids(self, web: str) -> list[str]:
        return [dataset["id"] for dataset in self.get(web, "/v1/datasets")["datasets"]]

    def reports(self, dataset_id: str) -> list[dict]:
        raw = self.redis.hvals(f"sieve:ds:{dataset_id}:reports")
        return [json.loads(report) for report in raw]

    def attempts(self, dataset_id: str) -> dict[int, int]:
        raw = self.redis.hgetall(f"sieve:ds:{dataset_id}:attempts")
        return {int(chunk): int(count) for chunk, count in raw.items()}

    def sent_again(self, dataset_id: str) -> list[int]:
        return sorted(chunk for chunk, count in self.attempts(dataset_id).items() if count > 1)

    def wait_until_both_hold_a_chunk(self, dataset_id: str) -> None:
        """Until each worker host (one process each) has started a chunk it has not reported:
        chunks started exceed chunks reported by two."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = sum(self.attempts(dataset_id).values())
            if started - len(self.reports(dataset_id)) >= 2:
                return
            time.sleep(0.005)
        raise DrillFailed(f"{dataset_id}: the worker hosts never held a chunk each")

    def counted_once(self, dataset: dict, rows: int) -> None:
        """Validated, with every row of the file in its parts exactly once."""
        check(dataset["validation_status"] == "validated", f"{dataset['id']}: {dataset}")
        kept = sum(part["num_rows"] for part in dataset["dataset_parts"])
        seen = sum(report["rows_seen"] for report in self.reports(dataset["id"]))
        check(kept == rows and seen == rows, f"{rows} rows in the file, {kept} kept, {seen} seen")

    # -- the checks ------------------------------------------------------------------------
    def chunks_reach_both_worker_hosts(self) -> str:
        dataset_id = self.upload("web1", rows_file(8, "spread"), "spread")
        dataset = self.verdict("web1", dataset_id, 120)
        self.counted_once(dataset, 8 * ROWS_PER_MB)
        hosts = [report["worker"].split("/")[0] for report in self.reports(dataset_id)]
        spread = {host: hosts.count(host) for host in sorted(set(hosts))}
        check(set(spread) == {"work1", "work2"}, f"chunks by host: {spread}")
        passed(f"chunks reached both worker hosts: {spread}")
        return dataset_id

    def web_hosts_answer_alike(self, dataset_id: str) -> None:
        def unsigned(dataset: dict) -> dict:  # a signed URL names its host and its expiry
            parts = [{k: v for k, v in p.items() if k != "url"} for p in dataset["dataset_parts"]]
            return {**dataset, "dataset_parts": parts}

        for path in ("/v1/datasets/usage", "/v1/datasets", f"/v1/datasets/{dataset_id}"):
            one, two = self.get("web1", path), self.get("web2", path)
            if "dataset" in one:
                one, two = unsigned(one["dataset"]), unsigned(two["dataset"])
            if "datasets" in one:
                one = [unsigned(d) for d in one["datasets"]]
                two = [unsigned(d) for d in two["datasets"]]
            check(one == two, f"web1 and web2 differ on {path}")
        part = self.get("web1", f"/v1/datasets/{dataset_id}")["dataset"]["dataset_parts"][0]
        by_web2 = part["url"].replace(self.deployment.url("web1"), self.deployment.url("web2"))
        own, other = requests.get(part["url"], timeout=30), requests.get(by_web2, timeout=30)
        check(
            own.status_code == other.status_code == 200, f"{own.status_code}, {other.status_code}"
        )
        check(own.content == other.content, "a part's bytes differ between the web hosts")
        passed(f"both web hosts answer get/list/usage alike; web2 serves web1's signed URL "
               f"({len(own.content):,} bytes, same bytes)")  # fmt: skip

    def web_host_killed_mid_upload(self) -> None:
        usage_before = self.get("web2", "/v1/datasets/usage")["organization_usage"]
        listed_before = self.listed_ids("web2")
        keys_before = set(self.deployment.stored_keys())
        body = rows_file(48, "cut")  # 16 MiB of it is sent, then web1 dies
        sock = open_raw_upload(self.deployment.url("web1"), HEADERS["Authorization"], len(body))
        sock.sendall(body[: 16 * 1024 * 1024])
        deadline = time.monotonic() + 30
        while not self.reserved() and time.monotonic() < deadline:
            time.sleep(0.1)
        held = self.reserved()
        stored = set(self.deployment.stored_keys()) - keys_before
        check(held > 0 and stored, f"the upload to web1 held {held} bytes, stored {len(stored)}")
        self.deployment.host("web1").kill()
        sock.close()
        killed = time.monotonic()
        self.get("web2", "/v1/datasets/usage")  # the other web host keeps serving
        now = before = (usage_before, listed_before, keys_before, 0)
        deadline = killed + 90
        while time.monotonic() < deadline:
            now = (
                self.get("web2", "/v1/datasets/usage")["organization_usage"],
                self.listed_ids("web2"),
                set(self.deployment.stored_keys()),
                self.reserved(),
            )
            if now == before:
                break
            time.sleep(1)
        check(now[0] == usage_before, f"usage {now[0]} after the sweep, {usage_before} before")
        check(now[1] == listed_before, "the dead upload's dataset is still listed")
        check(now[2] == keys_before, f"left in the bucket: {sorted(now[2] - keys_before)[:5]}")
        check(now[3] == 0, f"{now[3]} bytes still reserved")
        passed(f"web1 killed mid-upload ({held:,} bytes held, {len(stored)} objects stored): web2 "
               f"kept serving; {time.monotonic() - killed:.0f} s later nothing was left")  # fmt: skip

    def worker_host_killed_mid_validation(self) -> None:
        rows = 12 * ROWS_PER_MB
        work1 = self.deployment.host("work1")
        pids = work1.pids()  # its chunks take milliseconds: the kill follows the check at once
        dataset_id = self.upload("web2", rows_file(12, "kill"), "killed-worker")
        self.wait_until_both_hold_a_chunk(dataset_id)
        work1.kill(pids)
        killed = time.monotonic()
        status = self.get("web2", f"/v1/datasets/{dataset_id}")["dataset"]["validation_status"]
        check(status == "processing", f"validation ended before the kill ({status}): grow the file")
        dataset = self.verdict("web2", dataset_id, 60)
        self.counted_once(dataset, rows)
        again = self.sent_again(dataset_id)
        check(again, "no chunk was sent again: work1 held none when it died")
        passed(f"work1 killed mid-validation: chunk {again} sent again, verdict "
               f"{time.monotonic() - killed:.0f} s after the kill, {rows:,} rows counted once")  # fmt: skip

    def worker_link_cut(self, seconds: float = 30) -> None:
        self.deployment.start_sieve("work1", "worker")  # the host is back
        rows = 16 * ROWS_PER_MB
        dataset_id = self.upload("web2", rows_file(16, "link"), "cut-link")
        self.wait_until_both_hold_a_chunk(dataset_id)
        work2 = self.deployment.host("work2")
        work2.cut_link(True)
        time.sleep(seconds)
        work2.cut_link(False)
        restored = time.monotonic()
        status = self.get("web2", f"/v1/datasets/{dataset_id}")["dataset"]["validation_status"]
        dataset = self.verdict("web2", dataset_id, 120)
        self.counted_once(dataset, rows)
        how = (
            "while it was cut (its chunk sent again)"
            if status == "validated"
            else f"{time.monotonic() - restored:.0f} s after it came back"
        )
        passed(f"work2's link cut for {seconds:g} s holding a chunk: the dataset finished {how}, "
               f"{rows:,} rows counted once")  # fmt: skip


def main() -> int:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        print("the drill needs root, iproute2 (ip) and util-linux (unshare)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="sieve-drill-"))
    deployment = Deployment("sdrill", workdir, **SETTINGS)  # a run removes what one left
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # torn down when stopped, too
    started = time.monotonic()
    print(f"drill: 2 web, 2 worker hosts, beat, Redis, S3 as network namespaces ({workdir})")
    try:
        deployment.build()
        drill = Drill(deployment)
        dataset_id = drill.chunks_reach_both_worker_hosts()
        drill.web_hosts_answer_alike(dataset_id)
        drill.web_host_killed_mid_upload()
        drill.worker_host_killed_mid_validation()
        drill.worker_link_cut()
    except (DrillFailed, TimeoutError, requests.RequestException) as exc:
        print(f"FAILED: {exc}\n{deployment.log_tails()}", file=sys.stderr)
        return 1
    finally:
        deployment.teardown()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"drill passed in {time.monotonic() - started:.0f} s; everything torn down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
