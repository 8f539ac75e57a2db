"""finish()'s view of a dataset's chunks over blob storage: each chunk's row hashes (an Arrow
IPC blob) and its rows (its Avro part, plus the eval part an automatic split gives it)."""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from store.blobs import BlobStore, write_blob
from store.removal import part_key
from workers.parts import read_part, replace_part


def write_hashes(blobs: BlobStore, key: str, hashes: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    hashes.write_ipc(buffer, compression="lz4")  # the token columns shrink to almost nothing
    write_blob(blobs, key, buffer.getvalue())


class BlobChunks:
    """The chunk reports of one dataset, by role and in file order. `replace` rewrites parts
    and updates the reports' `part` / `eval_part` entries in place."""

    def __init__(self, blobs: BlobStore, dataset_id: str, reports: dict[str, list[dict]]) -> None:
        self._blobs = blobs
        self._dataset_id = dataset_id
        self._reports = reports

    def chunk_count(self, role: str) -> int:
        return len(self._reports[role])

    def rows_seen(self, role: str, chunk: int) -> int:
        return self._reports[role][chunk]["rows_seen"]

    def hashes(self, role: str, chunk: int) -> pl.DataFrame | None:
        key = self._reports[role][chunk].get("hashes_key")
        if key is None:
            return None
        return pl.read_ipc(io.BytesIO(self._blobs.read_range(key, 0, self._blobs.size(key))))

    def rows(self, role: str, chunk: int) -> pl.DataFrame | None:
        part = self._reports[role][chunk].get("part")
        return read_part(self._blobs, part["key"]) if part else None

    def replace(self, role: str, chunk: int, sides: dict[str, pl.DataFrame]) -> None:
        report = self._reports[role][chunk]
        name = report["part"]["name"]  # before an emptied side takes its part away
        for side, frame in sides.items():
            entry = "part" if side == role else f"{side}_part"
            part = report.get(entry) or self._new_part(name, side)
            report[entry] = replace_part(self._blobs, part, frame)

    def _new_part(self, like: str, side: str) -> dict[str, Any]:
        name = side + like[like.index("-") :]
        return {"name": name, "key": part_key(self._dataset_id, name)}
