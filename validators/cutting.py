"""Cut a file into record-aligned chunks, fed block by block in file order: the one cutter of
uploads as they stream in, of planning after the upload, of `sieve check` and of the bench.

JSONL and text records end at a separator; CSV records at a newline outside quotes (quote parity
tracked from the first byte), and a CSV file's first record is its header, kept apart. A cut is
made only once at least `target` bytes of records are waiting, so no chunk is smaller than
asked, except the last.

No record may be longer than `max_record` (MAX_RECORD_BYTES): past one, the file is not cut
further and is read only up to `cut_short_at`, so that a file that is one line (a JSON array),
a text separator that never comes or a CSV quote never closed can't make a chunk of the whole
file. A JSONL or text file stops at the start of that record, exactly, whatever the blocks
(to within a separator's length when the separator can overlap itself, as '\n\n' in '\n\n\n');
a CSV file `max_record` bytes past the point where the chunk should have been cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_CSV_HEADER_BYTES = 1024 * 1024
MAX_RECORD_BYTES = 16 * 1024 * 1024


@dataclass
class RecordCutter:
    file_format: str  # "jsonl" | "csv" | "txt"
    separator: bytes = b"\n"
    received: int = 0  # bytes fed so far
    chunk_start: int = 0  # where the records not yet cut begin
    header_end: int | None = None  # CSV: just past the header record, once seen
    gave_up: bool = False  # a CSV header longer than MAX_CSV_HEADER_BYTES, or cut short
    max_record: int = MAX_RECORD_BYTES
    cut_short_at: int | None = None  # read the file up to here: a record past max_record
    _record_start: int | None = field(default=None, repr=False)  # separated: the last one seen
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
        overlong = self._overlong_record(window, window_start)
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
        if overlong is not None:
            self.gave_up, self.cut_short_at = True, overlong
            return [cut for cut in cuts if cut <= overlong]
        return cuts

    def _overlong_record(self, window: bytes, window_start: int) -> int | None:
        """Where a record longer than max_record starts, once the window shows it. One search
        per max_record bytes: from a record's start, the last separator within max_record
        bytes starts the next record to look from."""
        separator, length = self.separator, len(self.separator)
        if self._record_start is None:
            self._record_start = self.chunk_start
        while True:
            begin = self._record_start - window_start  # maybe before the window: none between
            reach = begin + self.max_record + length  # a separator must start before this
            last = window.rfind(separator, max(begin, 0), reach)
            if last >= 0 and reach <= len(window):
                self._record_start = window_start + last + length
                continue
            if last >= 0:  # the window ends before the limit: go on from the last record
                self._record_start = window_start + last + length
                return None
            if len(window) - begin > self.max_record and not self._may_begin_separator(
                window, begin + self.max_record
            ):
                return self._record_start
            return None

    def _may_begin_separator(self, window: bytes, last_start: int) -> bool:
        """The window's last bytes, from at most `last_start` on, may begin a separator."""
        first = max(len(window) - len(self.separator) + 1, 0)  # (past `last_start`: none)
        return any(self.separator.startswith(window[at:]) for at in range(first, last_start + 1))

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
                self._give_up_past(self.chunk_start + target)
                return cuts
            cuts.append(begin + cut)
            self.chunk_start = begin + cut
            position = cut
        self._parity ^= block.count(b'"', position) & 1
        self._give_up_past(self.chunk_start + target)
        return cuts

    def _give_up_past(self, want: int) -> None:
        """No record may end past `want` for max_record bytes: the one across it is too long."""
        if self.received - want > self.max_record:
            self.gave_up, self.cut_short_at = True, want + self.max_record

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
