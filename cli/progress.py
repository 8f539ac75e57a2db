"""Progress on stderr, as people know it from other upload tools.

On a terminal: one line redrawn in place (bar, bytes of total, speed, time left), cleared
before any message so the two never run together, and ended with a newline. Elsewhere (a
pipe, a log file, CI): a plain line at each tenth of the way, never a carriage return.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from store.settings import format_size

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class ProgressLine:
    """Progress towards `total`: bytes (with speed and time left), or items of `unit`."""

    def __init__(
        self, label: str, total: int, stream: IO[str] | None = None, unit: str = ""
    ) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.unit = unit  # "": bytes
        self.detail = ""
        self._stream = stream or sys.stderr
        self._terminal = self._stream.isatty()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._width = 0  # of the line on screen, to clear it
        self._tenths_shown = -1

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *_: Any) -> None:
        self.finish()

    def update(self, count: int) -> None:
        self.show(self.done + count)

    def show(self, done: int, detail: str = "") -> None:
        """`done` of the total so far, and what else to say (e.g. rows seen)."""
        self.done, self.detail = min(self.total, done), detail
        if self._terminal:
            if time.monotonic() - self._drawn_at >= REDRAW_SECONDS or self.done == self.total:
                self._draw()
            return
        tenths = self.done * 10 // self.total
        if tenths > self._tenths_shown:
            self._tenths_shown = tenths
            self._stream.write(f"{self.label}: {self._figures()}\n")
            self._stream.flush()

    def note(self, message: str) -> None:
        """A message on its own line; the progress line comes back under it."""
        self._clear()
        self._stream.write(message + "\n")
        if self._terminal and self.done:
            self._draw()

    def finish(self) -> None:
        if self._terminal and self._width:
            self._draw()
            self._stream.write("\n")
            self._width = 0
        self._stream.flush()

    def _figures(self) -> str:
        if self.unit:
            figures = f"{self.done:,} of {self.total:,} {self.unit}"
            return f"{figures}, {self.detail}" if self.detail else figures
        share = self.done / self.total
        elapsed = max(time.monotonic() - self._started, 1e-6)
        speed = self.done / elapsed
        figures = f"{share:4.0%}  {format_size(self.done)} of {format_size(self.total)}"
        if self.done and self.done < self.total:
            left = (self.total - self.done) / speed
            figures += f"  {format_size(speed)}/s  {_duration(left)} left"
        elif self.done >= self.total:
            figures += f"  in {_duration(elapsed)}"
        return figures

    def _draw(self) -> None:
        filled = round(BAR_WIDTH * self.done / self.total)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        line = f"{self.label} [{bar}] {self._figures()}"
        self._stream.write("\r" + line.ljust(self._width))
        self._stream.flush()
        self._width = len(line)
        self._drawn_at = time.monotonic()

    def _clear(self) -> None:
        if self._terminal and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._width = 0


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return (
        f"{minutes} min {rest:02d} s"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60:02d} min"
    )


class ValidationProgress:
    """Feeds a ProgressLine of chunks from the dataset states `SieveClient.wait` sees."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream
        self._line: ProgressLine | None = None

    def __call__(self, dataset: dict[str, Any]) -> None:
        progress = dataset.get("progress") or {}
        total = progress.get("chunks_total")
        if self._line is None and total:
            self._line = ProgressLine("validating", total, self._stream, unit="chunks")
        if self._line is None:
            return
        if "progress" not in dataset:  # a verdict: the line is complete
            self._line.show(self._line.total, self._line.detail)
            self._line.finish()
            return
        rows = progress.get("rows_seen", 0)
        self._line.show(progress["chunks_done"], f"{rows:,} rows seen" if rows else "")
