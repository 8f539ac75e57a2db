"""Cut a file into record-aligned chunks, fed block by block in file order: the one cutter of
uploads as they stream in, of planning after the upload, of `sieve check` and of the bench.

JSONL and text records end at a separator; CSV records at a newline outside quotes (quote parity
tracked from the first byte), and a CSV file's first record is its header, kept apart. A cut is
made only once at least `target` bytes of records are waiting, so no chunk is smaller than
asked, except the last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_CSV_HEADER_BYTES = 1024 * 1024


@dataclass
class RecordCutter:
    file_format: str  # "jsonl" | "csv" | "txt"
    separator: bytes = b"\n"
    received: int = 0  # bytes fed so far
    chunk_start: int = 0  # where the records not yet cut begin
    header_end: int | None = None  # CSV: just past the header record, once seen
    gave_up: bool = False  # CSV header longer than MAX_CSV_HEADER_BYTES: cut nothing
    _parity: int = 0  # CSV: quotes seen so far, mod 2
    _tail: bytes = field(default=b"", repr=False)  # a separator split across two blocks

    def feed(self, block: bytes, target: int) -> list[int]:
        """Take the next block; the cut points (file offsets) it completes, each just past a
        record, the first at least `target` bytes after the previous cut."""
        begin = self.received
        self.received += len(block)
        if self.gave_up:
            return []
        if self.file_format == "csv":
            return self._feed_csv(block, begin, target)
        return self._feed_separated(block, begin, target)

    # -- separator-ended records -------------------------------------------------------------
    def _feed_separated(self, block: bytes, begin: int, target: int) -> list[int]:
        cuts = []
        window = self._tail + block
        window_start = begin - len(self._tail)
        search_from = 0
        while True:
            want = self.chunk_start + target - window_start  # first offset a cut may follow
            earliest = max(search_from, want - len(self.separator), self.chunk_start - window_start)
            found = window.find(self.separator, max(earliest, 0))
            if found < 0:
                break
            cut = window_start + found + len(self.separator)
            if cut - self.chunk_start < target:
                search_from = found + 1
                continue
            cuts.append(cut)
            self.chunk_start = cut
            search_from = found + len(self.separator)
        keep = len(self.separator) - 1
        self._tail = window[-keep:] if keep else b""
        return cuts

    # -- CSV ---------------------------------------------------------------------------------
    def _feed_csv(self, block: bytes, begin: int, target: int) -> list[int]:
        cuts = []
        position = 0
        if self.header_end is None:
            end = self._first_unquoted_newline(block, 0)
            if end is None:
                self._parity ^= block.count(b'"') & 1
                self.gave_up = self.received > MAX_CSV_HEADER_BYTES
                return []
            self.header_end = self.chunk_start = begin + end
            position = end
        while True:
            want = max(position, self.chunk_start + target - begin)
            if want >= len(block):
                break
            self._parity ^= block.count(b'"', position, want) & 1
            cut = self._first_unquoted_newline(block, want)
            if cut is None:
                self._parity ^= block.count(b'"', want) & 1
                return cuts
            cuts.append(begin + cut)
            self.chunk_start = begin + cut
            position = cut
        self._parity ^= block.count(b'"', position) & 1
        return cuts

    def _first_unquoted_newline(self, block: bytes, start: int) -> int | None:
        """Just past the first newline at or after `start` outside quotes; the parity is
        carried up to that point (or left as it was when there is none)."""
        parity, position = self._parity, start
        while True:
            newline = block.find(b"\n", position)
            if newline < 0:
                return None
            parity ^= block.count(b'"', position, newline) & 1
            if parity == 0:
                self._parity = 0
                return newline + 1
            position = newline + 1


def cut_whole(
    blocks: Iterable[bytes], file_format: str, target: int, separator: bytes = b"\n"
) -> tuple[int, list[int]]:
    """A whole file, fed in blocks: where its records begin (past a CSV header; a CSV header
    that never ends covers the file) and the cut points between its chunks."""
    cutter = RecordCutter(file_format, separator)
    cuts = [cut for block in blocks for cut in cutter.feed(block, target)]
    start = cutter.header_end if cutter.header_end is not None else 0
    if file_format == "csv" and cutter.header_end is None:
        start = cutter.received
    return start, [cut for cut in cuts if cut < cutter.received]
