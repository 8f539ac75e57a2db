"""Start the Procfile's process types as OS processes, the way a process manager does."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def procfile_commands(root: Path = PROJECT_ROOT) -> dict[str, str]:
    lines = (root / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def start_process(kind: str, env: dict[str, str], log: IO[bytes] | int) -> subprocess.Popen:
    """One process of the Procfile's type `kind` (web, worker, beat), through the shell so that
    the Procfile's ${VAR:-default} forms expand."""
    return subprocess.Popen(
        ["sh", "-c", f"exec {procfile_commands()[kind]}"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
