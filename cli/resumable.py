"""`sieve upload` of a big file: a resumable upload (`/v1/uploads`), parts sent in parallel.

The upload's id is kept in DATA_DIR/uploads/, under a name made of the server, the file (path,
size, modification time) and the options: run the same command again after an interruption
and it asks the server which parts arrived, checks each against the file's bytes (SHA-256)
and sends only the others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, BinaryIO

from cli.client import SieveClient

PARALLEL_PARTS = 4


def _state_file(state_dir: Path, client: SieveClient, file: Path, params: dict[str, Any]) -> Path:
    stat = file.stat()
    identity = [client.url, str(file.resolve()), stat.st_size, stat.st_mtime_ns, params]
    name = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]
    return state_dir / f"{name}.json"


def _resumed(client: SieveClient, state: Path) -> dict[str, Any] | None:
    """The upload an earlier run left open, if the server still has it."""
    try:
        upload_id = json.loads(state.read_text())["upload_id"]
    except (OSError, ValueError, KeyError):
        return None
    upload = client.get_upload(upload_id)
    return upload if upload is not None and upload["state"] == "open" else None


def send_resumable(
    client: SieveClient,
    file: Path,
    params: dict[str, Any],
    state_dir: Path,
    on_sent: Callable[[int], None],
    note: Callable[[str], None] = lambda _: None,
) -> str:
    """Upload `file` in parts (resuming an earlier run's upload); the dataset's id. `note`
    says what happens beside the bytes sent (a resumed upload, the parts sent)."""
    state = _state_file(state_dir, client, file, params)
    upload = _resumed(client, state)
    if upload is None:
        declared = {**params, "filename": file.name, "size": file.stat().st_size}
        upload = client.open_upload(declared)
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"upload_id": upload["id"]}))
    elif upload["parts"]:
        note(
            f"Resuming upload {upload['id']}: {len(upload['parts'])} of its "
            f"{upload['part_count']} parts are on the server already."
        )
    with file.open("rb") as source:
        whole, sent, skipped = _send_parts(client, upload, source, on_sent)
    note(f"Sent {sent} parts; {skipped} were on the server already.")
    dataset_id = client.complete_upload(upload["id"], whole)
    state.unlink(missing_ok=True)
    return dataset_id


def _send_parts(
    client: SieveClient, upload: dict[str, Any], source: BinaryIO, on_sent: Callable[[int], None]
) -> tuple[str, int, int]:
    """Read the file part by part (hashing the whole on the way) and send the parts the
    server lacks, a few at a time; the whole file's SHA-256, the parts sent and skipped."""
    on_server = {part["number"]: part["sha256"] for part in upload["parts"]}
    whole = hashlib.sha256()
    sent = skipped = 0
    with ThreadPoolExecutor(PARALLEL_PARTS) as pool:
        in_flight: set[Future] = set()
        for number in range(1, upload["part_count"] + 1):
            data = source.read(upload["part_size"])
            whole.update(data)
            digest = hashlib.sha256(data).hexdigest()
            if on_server.get(number) == digest:
                skipped += 1
                on_sent(len(data))
                continue
            while len(in_flight) >= PARALLEL_PARTS:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # a part refused: stop here (run again to resume)
            future = pool.submit(client.put_part, upload["id"], number, data, digest)
            future.add_done_callback(lambda _, size=len(data): on_sent(size))
            in_flight.add(future)
            sent += 1
        for future in in_flight:
            future.result()
    return whole.hexdigest(), sent, skipped
