"""The CLI's progress lines: redrawn in place on a terminal and ended cleanly, with messages
on lines of their own; plain lines (never a carriage return) elsewhere."""

from __future__ import annotations

import io

from cli.progress import ProgressLine, ValidationProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _screen(written: str) -> list[str]:
    """What a terminal shows: each \\r returns to the line's start and overwrites it."""
    lines = []
    for raw in written.split("\n"):
        shown = ""
        for piece in raw.split("\r"):
            shown = piece + shown[len(piece) :]
        lines.append(shown.rstrip())
    return lines


def test_on_a_terminal_messages_never_run_into_the_bar_and_it_ends_with_a_newline():
    stream = Terminal()
    with ProgressLine("uploading", 4 * 1024 * 1024, stream) as bar:
        bar.update(1024 * 1024)
        bar.note("Resuming upload upl-1: 1 of its 4 parts are on the server already.")
        bar.update(3 * 1024 * 1024)
        bar.note("Sent 3 parts; 1 were on the server already.")
    written = stream.getvalue()
    assert written.endswith("\n")
    screen = _screen(written)
    assert screen[0] == "Resuming upload upl-1: 1 of its 4 parts are on the server already."
    assert screen[1] == "Sent 3 parts; 1 were on the server already."
    assert screen[2].startswith("uploading [########################] 100%  4.0 MiB of 4.0 MiB")
    assert screen[3] == ""


def test_elsewhere_the_start_and_each_tenth_is_a_plain_line():
    stream = io.StringIO()
    with ProgressLine("uploading", 1000, stream) as bar:
        for _ in range(100):
            bar.update(10)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert [line.split()[1] for line in lines] == ["1%"] + [f"{n}%" for n in range(10, 101, 10)]
    assert lines[-1].startswith("uploading: 100%  1000 B of 1000 B  in ")


def test_validation_progress_counts_chunks_and_rows_then_ends_at_the_verdict():
    stream = Terminal()
    show = ValidationProgress(stream)
    show({"validation_status": "queued", "progress": {"chunks_total": None}})
    show({"validation_status": "processing",
          "progress": {"chunks_done": 1, "chunks_total": 4, "rows_seen": 2500}})  # fmt: skip
    show({"validation_status": "validated"})
    screen = _screen(stream.getvalue())
    assert screen == ["validating [########################] 4 of 4 chunks, 2,500 rows seen", ""]
