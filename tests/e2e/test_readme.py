"""The README and docs/ cannot lie: every `bash` and `python` block in them runs, as written,
against a live `sieve up` (its URL put where they say http://127.0.0.1:8000), the settings
table names exactly the variables the settings object reads, and the README stays a guide."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from cli.embedded_redis import free_port
from store.settings import ENVIRONMENT
from tests.e2e.conftest import BIN, ROOT, start_sieve_up

README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
SETTINGS = (ROOT / "docs" / "settings.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
FENCE = re.compile(r"(?P<before>[^\n]*)\n```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)\n```", re.S)
SKIP = re.compile(r"<!-- readme-test: skip \((?P<reason>[^)]+)\) -->")
DOCUMENTED_URL = "http://127.0.0.1:8000"


def readme_blocks() -> list[tuple[str, str, str | None]]:
    """(language, code, reason to skip or None) of every bash/python block, in order: the
    README's, then each document's of docs/."""
    blocks = []
    texts = [README, *(path.read_text() for path in DOCS)]
    for match in (found for text in texts for found in FENCE.finditer(text)):
        if match["lang"] in ("bash", "python"):
            skip = SKIP.search(match["before"])
            blocks.append((match["lang"], match["body"], skip["reason"] if skip else None))
    return blocks


def test_the_type_table_is_the_rule_catalog():
    from validators.catalog import markdown_table

    table = README.split("<!-- dataset-types:begin -->\n")[1].split("\n<!-- dataset-types:end -->")[
        0
    ]
    assert table == markdown_table(), "regenerate it: python -m validators.catalog"


def test_every_block_is_run_or_says_why_not():
    blocks = readme_blocks()
    assert len([b for b in blocks if b[2] is None]) >= 3
    assert all(reason.strip() for _, _, reason in blocks if reason is not None)


def test_the_readme_examples_run_against_a_live_sieve(tmp_path):
    port = free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIEVE_", "REDIS_"))}
    env.update({"SIEVE_DATA_DIR": str(data_dir), "PATH": f"{BIN}{os.pathsep}{env['PATH']}"})
    up = start_sieve_up(BIN / "sieve", port, env, tmp_path, "--workers", "1")
    assert up.key, up.stderr()
    workdir = tmp_path / "user"
    workdir.mkdir()
    try:
        for language, code, skip in readme_blocks():
            if skip is not None:
                continue
            script = code.replace(DOCUMENTED_URL, up.url)
            command = (
                ["bash", "-euo", "pipefail", "-c", script]
                if language == "bash"
                else [sys.executable, "-c", script]
            )
            run = subprocess.run(
                command,
                cwd=workdir,
                env={**env, "SIEVE_API_KEY": up.key},
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert run.returncode == 0, (
                f"{code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
            )
            assert "Traceback" not in run.stderr
            if "sieve upload" in code or "co.datasets.create" in code:
                assert "validated" in run.stdout, run.stdout
        assert (workdir / "texts-validated.jsonl").read_text().count("\n") == 2
        assert (workdir / "part.avro").read_bytes().startswith(b"Obj\x01")  # resumed: whole
    finally:
        up.interrupt()


def _settings_table_variables() -> set[str]:
    rows = [line for line in SETTINGS.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_settings_table_names_every_variable_and_no_other():
    assert _settings_table_variables() == set(ENVIRONMENT)


@pytest.mark.parametrize("path", ["Procfile"])
def test_the_procfile_runs_the_packaged_commands(path):
    lines = (ROOT / path).read_text().split("\n")
    assert [line for line in lines if line] == [
        "web: sieve web",
        "worker: sieve worker",
        "beat: sieve beat",
    ]
    assert "web: sieve web\nworker: sieve worker\nbeat: sieve beat" in OPERATIONS


def test_the_readme_is_a_guide_and_links_its_reference():
    assert len(README.splitlines()) <= 260
    for path in DOCS:
        assert f"](docs/{path.name})" in README, path.name


def test_the_screenshots_shown_are_those_the_browser_test_takes():
    """Every image of docs/screenshots/ that the README or docs show is one the console's
    browser test writes (`make screenshots`), and each of those exists."""
    import re

    from tests.e2e.test_console import PUBLISHED, SCREENSHOTS

    texts = [README, *(path.read_text() for path in DOCS)]
    shown = {name for text in texts for name in re.findall(r"screenshots/([\w-]+)\.png", text)}
    assert shown and shown <= set(PUBLISHED.values())
    assert all((SCREENSHOTS / f"{name}.png").is_file() for name in shown)
