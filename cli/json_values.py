"""The values of a file that is one JSON document — an array of rows, or values written over
several lines — read one at a time, whatever the file's size (`sieve convert` writes each on a
line of its own)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from cli.client import CliError

BLOCK_CHARS = 1 << 20
MAX_VALUE_CHARS = 256 << 20  # one row's JSON: past this, it is not a file of rows
_BLANKS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")


class JsonValues:
    """Iterate the top-level values of `handle` (an array's items, if it is one array), each
    with its text as written."""

    def __init__(self, handle: TextIO, block: int = BLOCK_CHARS) -> None:
        self._handle, self._block = handle, block
        self._buffer, self._at, self._eof = "", 0, False
        self._line, self._column = 1, 0  # where the buffer starts: its line, and the
        # characters of that line before it (for errors)

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        in_array = self._peek() == "["
        if in_array:
            self._at += 1
        while True:
            char = self._peek()
            if in_array and char == "]":
                self._at += 1
                char = self._peek()
                if char:
                    self._fail("text after the array's closing ']'")
                return
            if not char:
                if in_array:
                    self._fail("the array is not closed with ']'")
                return
            yield self._value()
            after = self._peek() if in_array else ","
            if after == ",":
                self._at += 1 if in_array else 0
            elif after != "]":
                self._fail(
                    "expected ',' or ']' after an item of the array"
                    if after
                    else "the array is not closed with ']'"
                )

    def _peek(self) -> str:
        """The next character past whitespace ('' at the end)."""
        while True:
            self._at = _BLANKS.match(self._buffer, self._at).end()  # type: ignore[union-attr]
            if self._at < len(self._buffer) or not self._more():
                return self._buffer[self._at : self._at + 1]

    def _value(self) -> tuple[Any, str]:
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._at)
            except json.JSONDecodeError as exc:
                if not self._more():
                    self._fail(exc.msg, exc.pos)
                continue
            except RecursionError:
                self._fail("nested too deeply")
            if self._complete(end) or not self._more():
                text, self._at = self._buffer[self._at : end], end
                return value, text

    def _complete(self, end: int) -> bool:
        """A value read up to `end` is whole: a number ('1' of '1e5') may go on past the
        buffer, or past a character that is still part of it."""
        return end < len(self._buffer) and self._buffer[end] not in _NUMBER_GOES_ON

    def _more(self) -> bool:
        """Read the next block, dropping what was read before; False at the end of the file
        (and the buffer as it was)."""
        if self._eof:
            return False
        text = self._handle.read(self._block)
        if not text:
            self._eof = True
            return False
        self._line, self._column = self._place(self._at)
        self._buffer = self._buffer[self._at :] + text
        self._at = 0
        if len(self._buffer) > MAX_VALUE_CHARS:
            self._fail(f"a value longer than {MAX_VALUE_CHARS >> 20} MiB")
        return True

    def _place(self, at: int) -> tuple[int, int]:
        """The line of `at` (in the buffer) and the characters of that line before it."""
        lines = self._buffer.count("\n", 0, at)
        if not lines:
            return self._line, self._column + at
        return self._line + lines, at - self._buffer.rfind("\n", 0, at) - 1

    def _fail(self, reason: str, position: int | None = None) -> None:
        line, column = self._place(self._at if position is None else position)
        raise CliError(f"the file's JSON breaks at line {line}, column {column + 1}: {reason}")
