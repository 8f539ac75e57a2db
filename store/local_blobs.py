"""Blobs as files under one directory (local, or a shared mount such as NFS or EFS)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from store.blobs import READ_BLOCK, StorageFullError

COMMIT_ATTEMPTS = 5


class LocalBlobWriter:
    """Writes to a temp file beside the target and renames on commit: readers never see halves."""

    def __init__(self, final_path: Path, temp_dir: Path) -> None:
        self._final = final_path
        self._temp = temp_dir / f"{uuid.uuid4().hex}.part"
        self._file: BinaryIO = open(self._temp, "wb")  # noqa: SIM115 - closed in commit/abort
        self._size = 0

    def write(self, data: bytes) -> int:
        try:
            self._file.write(data)
        except OSError as exc:
            self.abort()
            if exc.errno == 28:  # ENOSPC
                raise StorageFullError(exc.errno, "storage is full") from exc
            raise
        self._size += len(data)
        return len(data)

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._file.flush()

    def commit(self) -> int:
        self._file.close()
        for attempt in range(COMMIT_ATTEMPTS):  # a folder removed meanwhile is made again
            try:
                self._final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._temp, self._final)
                return self._size
            except (FileNotFoundError, FileExistsError):
                if attempt == COMMIT_ATTEMPTS - 1 or not self._temp.exists():
                    raise
        return self._size

    def abort(self) -> None:
        self._file.close()
        self._temp.unlink(missing_ok=True)


class LocalBlobStore:
    """Blobs as files under one root directory (shared by every process of the deployment)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._tmp = root / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if self._root.resolve() not in path.parents:
            raise ValueError(f"blob key escapes the storage root: {key!r}")
        return path

    def open_writer(self, key: str) -> LocalBlobWriter:
        return LocalBlobWriter(self._path(key), self._tmp)

    def read_range(self, key: str, start: int, end: int) -> bytes:
        with open(self._path(key), "rb") as handle:
            handle.seek(start)
            return handle.read(max(0, end - start))

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self._path(key), "rb") as handle:
            handle.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                block = handle.read(READ_BLOCK if remaining is None else min(READ_BLOCK, remaining))
                if not block:
                    return
                if remaining is not None:
                    remaining -= len(block)
                yield block

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        """False for a key outside the storage root too: there is no such blob here."""
        try:
            return self._path(key).is_file()
        except ValueError:
            return False

    def delete_prefix(self, prefix: str) -> None:
        """Delete the blob or folder `prefix`, then the folders it leaves empty."""
        target = self._path(prefix)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink(missing_ok=True)
        root = self._root.resolve()
        for folder in target.parents:
            if folder == root or root not in folder.parents:
                return
            try:
                folder.rmdir()  # only when empty
            except OSError:
                return

    def remove_abandoned_writes(self, silent_seconds: float) -> int:
        """Delete temp files nobody has written to for `silent_seconds` (their writer's process
        died before commit or abort). Returns how many."""
        cutoff = time.time() - silent_seconds
        removed = 0
        for temp in self._tmp.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):  # committed or aborted meanwhile
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
        return removed

    def folders(self, prefix: str) -> list[str]:
        """The names of the folders right under `prefix`."""
        target = self._path(prefix)
        return sorted(p.name for p in target.iterdir() if p.is_dir()) if target.is_dir() else []

    def newest_write(self, prefix: str) -> float | None:
        """When the newest blob under `prefix` was written (epoch seconds); None if none."""
        moments = []
        for path in self._path(prefix).rglob("*"):
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                if path.is_file():
                    moments.append(path.stat().st_mtime)
        return max(moments, default=None)

    def health_problem(self) -> str | None:
        probe = self._tmp / f"health-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
            return None
        except OSError as exc:
            return f"the storage folder {self._root} is not writable ({exc.strerror})"
