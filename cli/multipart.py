"""A multipart/form-data body streamed from disk with a known length: big files are never read
whole (requests would read `files=` into memory), and every block sent can be counted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

BLOCK = 1 << 20


class MultipartFiles:
    """File-like: for each (field, path) a part head + the file, then the closing boundary.
    `len()` lets requests send Content-Length; `on_sent(n)` is told of every file block read."""

    def __init__(
        self, files: list[tuple[str, Path]], on_sent: Callable[[int], None] | None = None
    ) -> None:
        self.boundary = uuid.uuid4().hex
        self._pieces: list[bytes | Path] = []
        size = 0
        for field, path in files:
            head = (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            self._pieces += [head, path, b"\r\n"]
            size += len(head) + path.stat().st_size + 2
        self._pieces.append(f"--{self.boundary}--\r\n".encode())
        self._size = size + len(self._pieces[-1])
        self._on_sent = on_sent
        self._file: BinaryIO | None = None

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def file_bytes(self) -> int:
        return sum(piece.stat().st_size for piece in self._pieces if isinstance(piece, Path))

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        size = BLOCK if size is None or size < 0 else max(size, 1 << 16)
        while self._pieces or self._file is not None:
            if self._file is not None:
                block = self._file.read(size)
                if block:
                    if self._on_sent is not None:
                        self._on_sent(len(block))
                    return block
                self._file.close()
                self._file = None
                continue
            piece = self._pieces.pop(0)
            if isinstance(piece, bytes):
                return piece
            self._file = open(piece, "rb")  # noqa: SIM115 - closed once read to its end
        return b""
