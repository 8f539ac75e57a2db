"""Where a file may be cut into chunks: only between records.

JSONL and text records end at a separator (newline by default), found by looking just past each
target offset. CSV records end at a newline *outside* quotes, so the quote parity from the start
of the file decides; the CSV finder therefore walks the file once, counting quotes per block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

ReadRange = Callable[[int, int], bytes]
WINDOW = 256 * 1024


def next_separator_end(read: ReadRange, offset: int, size: int, separator: bytes) -> int:
    """The position just past the first `separator` starting at or after `offset` (or `size`)."""
    position = offset
    while position < size:
        window = read(position, min(size, position + WINDOW + len(separator) - 1))
        found = window.find(separator)
        if found >= 0:
            return position + found + len(separator)
        position += WINDOW
    return size


def separator_boundaries(
    read: ReadRange, size: int, start: int, chunk_bytes: int, separator: bytes
) -> list[int]:
    """Cut points after `start`, about `chunk_bytes` apart, each just past a separator."""
    cuts: list[int] = []
    position = start
    while position + chunk_bytes < size:
        cut = next_separator_end(read, position + chunk_bytes, size, separator)
        if cut >= size:
            break
        cuts.append(cut)
        position = cut
    return cuts


def csv_boundaries(
    blocks: Iterable[bytes], start: int, chunk_bytes: int, quote: bytes = b'"'
) -> list[int]:
    """Cut points after `start`, about `chunk_bytes` apart, each just past a newline that lies
    outside quotes. `blocks` is the whole file, in order, from offset 0."""
    cuts: list[int] = []
    target = start + chunk_bytes
    parity = 0  # quotes seen before the current block, mod 2
    block_start = 0
    for block in blocks:
        block_end = block_start + len(block)
        while target < block_end:
            begin = max(target - block_start, 0)
            local_parity = parity ^ (block.count(quote, 0, begin) & 1)
            cut = _first_unquoted_newline(block, begin, local_parity, quote)
            if cut is None:
                target = block_end  # the record goes on into the next block
                break
            cuts.append(block_start + cut)
            target = block_start + cut + chunk_bytes
        parity ^= block.count(quote) & 1
        block_start = block_end
    if cuts and cuts[-1] >= block_start:
        cuts.pop()  # a cut at the very end would leave an empty last chunk
    return cuts


def _first_unquoted_newline(block: bytes, begin: int, parity: int, quote: bytes) -> int | None:
    position = begin
    while True:
        newline = block.find(b"\n", position)
        if newline < 0:
            return None
        parity ^= block.count(quote, position, newline) & 1
        if parity == 0:
            return newline + 1
        position = newline + 1


def csv_header_end(head: bytes, quote: bytes = b'"') -> int | None:
    """The position just past the header record in `head`, or None if it doesn't end there."""
    return _first_unquoted_newline(head, 0, 0, quote)
