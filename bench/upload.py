"""A multipart body streamed from disk with a known length (requests would read `files=` whole)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO


class MultipartFile:
    """File-like: preamble + file + closing boundary; `len()` lets requests send Content-Length."""

    def __init__(self, path: Path, field: str = "data") -> None:
        self.boundary = uuid.uuid4().hex
        self._head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._file: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed at the end of reading
        self._size = len(self._head) + path.stat().st_size + len(self._tail)
        self._stage = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else max(size, 1 << 16)
        if self._stage == 0:
            self._stage = 1
            return self._head
        if self._stage == 1:
            block = self._file.read(size)
            if block:
                return block
            self._file.close()
            self._stage = 2
            return self._tail
        return b""
