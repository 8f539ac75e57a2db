"""Start the Procfile's process types as OS processes, the way a process manager does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def procfile_commands(root: Path = PROJECT_ROOT) -> dict[str, str]:
    lines = (root / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def start_process(
    kind: str, env: dict[str, str], log: IO[bytes] | int | None, app: str | None = None
) -> subprocess.Popen:
    """One process of the Procfile's type `kind` (web, worker, beat), through the shell so that
    the Procfile's ${VAR:-default} forms expand. `app` swaps the web app, same server settings.
    `log` takes stdout and stderr; None leaves both to the caller's."""
    command = procfile_commands()[kind]
    if app is not None:
        command = command.replace("'api:create_app()'", f"'{app}'")
    scripts = str(Path(sys.executable).parent)  # gunicorn and celery live beside this python
    env = {**env, "PATH": f"{scripts}{os.pathsep}{env.get('PATH', os.defpath)}"}
    return subprocess.Popen(
        ["sh", "-c", f"exec {command}"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=None if log is None else subprocess.STDOUT,
    )
