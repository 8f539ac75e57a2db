"""The `sieve` command for people who use datasets, end to end against a real stack: upload
(with --wait), check (the same messages as the server), datasets list/get/download/delete, and
one clear line — never a traceback — for every expected error."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import cohere
import fastavro
import pytest
import requests
from cohere.utils import SdkUtils

from cli.embedded_redis import free_port
from tests.e2e.conftest import BIN, KEYS

BAD_ROWS = (
    "".join(f'{{"text": "row {i}"}}\n' for i in range(30))
    + '{"text": ""}\n'
    + "".join(f'{{"text": "more {i}"}}\n' for i in range(30))
    + '{"text": 5}\n{"txt": "no text"}\n'
)


def sieve(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "sieve"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(tiny_chunk_stack, tmp_path):
    """The environment a user of the stack has: its URL and a key; no data directory."""
    return {
        **os.environ,
        "SIEVE_URL": tiny_chunk_stack.url,
        "SIEVE_API_KEY": KEYS["acme"],
        "SIEVE_DATA_DIR": str(tmp_path / "no-instance"),
    }


def test_upload_wait_a_good_file_then_download_rows_identical_to_the_sdk(
    tiny_chunk_stack, cli_env, tmp_path
):
    data = tmp_path / "texts.jsonl"
    data.write_text("".join(f'{{"text": "hello {i}", "lang": "en"}}\n' for i in range(200)))
    done = sieve(
        cli_env,
        tmp_path,
        "upload",
        str(data),
        "--type",
        "embed-input",
        "--wait",
        "--keep-field",
        "lang",
    )
    assert done.returncode == 0, done.stderr
    dataset_id, status = done.stdout.split()[:2]
    assert status == "validated"

    co = cohere.Client(api_key=KEYS["acme"], base_url=tiny_chunk_stack.url)
    dataset = co.datasets.get(dataset_id).dataset
    assert len(dataset.dataset_parts) > 1  # several chunks: the rows come from several parts
    SdkUtils.save_dataset(dataset, str(tmp_path / "sdk.jsonl"), "jsonl")
    got = sieve(cli_env, tmp_path, "datasets", "download", dataset_id, "-o", "cli.jsonl")
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "cli.jsonl").read_bytes() == (tmp_path / "sdk.jsonl").read_bytes()
    assert "200 train rows written to cli.jsonl" in got.stderr

    for fmt in ("avro", "csv"):
        saved = sieve(
            cli_env,
            tmp_path,
            "datasets",
            "download",
            dataset_id,
            "--format",
            fmt,
            "-o",
            f"cli.{fmt}",
        )
        assert saved.returncode == 0, saved.stderr
    with open(tmp_path / "cli.avro", "rb") as handle:
        rows = list(fastavro.reader(handle))
    assert rows == [json.loads(line) for line in (tmp_path / "sdk.jsonl").read_text().splitlines()]
    assert (tmp_path / "cli.csv").read_text().splitlines()[:2] == ["text,lang", "hello 0,en"]

    listed = sieve(cli_env, tmp_path, "datasets", "list", "--json")
    assert dataset_id in {d["id"] for d in json.loads(listed.stdout)}
    got = sieve(cli_env, tmp_path, "datasets", "get", dataset_id, "--json")
    assert json.loads(got.stdout)["validation_status"] == "validated"
    assert sieve(cli_env, tmp_path, "datasets", "delete", dataset_id).returncode == 0
    gone = sieve(cli_env, tmp_path, "datasets", "get", dataset_id)
    assert gone.returncode == 2 and gone.stderr.startswith("Error: not found")


def test_datasets_commands_read_as_a_person_expects(cli_env, tmp_path):
    """list has a header and each dataset's rows and size; get shows rows per file, size and
    findings by rule; report streams to stdout; a download keeps train and eval apart."""
    train, held_out = tmp_path / "train.jsonl", tmp_path / "eval.jsonl"
    train.write_text("".join(f'{{"text": "train {i}"}}\n' for i in range(30)))
    held_out.write_text("".join(f'{{"text": "eval {i}"}}\n' for i in range(12)))
    options = ["--type", "embed-input", "--wait"]
    good = sieve(cli_env, tmp_path, "upload", str(train), "--eval-data", str(held_out), *options)
    assert good.returncode == 0, good.stderr
    good_id = good.stdout.split()[0]
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_text(BAD_ROWS)
    bad = sieve(cli_env, tmp_path, "upload", str(bad_file), *options)
    assert bad.returncode == 1
    bad_id = bad.stdout.split()[0]

    listed = sieve(cli_env, tmp_path, "datasets", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "STATUS", "TYPE", "ROWS", "SIZE", "CREATED"]
    rows = {line.split()[0]: line.split() for line in listed[1:]}
    assert rows[good_id][1:4] == ["validated", "embed-input", "42"]
    assert rows[bad_id][1:5] == ["failed", "embed-input", "63", "-"]

    shown = sieve(cli_env, tmp_path, "datasets", "get", good_id).stdout
    assert "rows: 42 kept (train 30, eval 12)" in shown and "type: embed-input" in shown
    failed = sieve(cli_env, tmp_path, "datasets", "get", bad_id)
    assert failed.returncode == 1
    assert "rows: 63 read in the train file, 60 valid" in failed.stdout
    assert f"findings: 3 (`sieve datasets report {bad_id}`)" in failed.stdout
    assert "text|not_empty" in failed.stdout

    report = sieve(cli_env, tmp_path, "datasets", "report", bad_id)
    assert len(report.stdout.splitlines()) == 3 and list(tmp_path.glob("*report*")) == []

    got = sieve(cli_env, tmp_path, "datasets", "download", good_id)
    assert got.returncode == 0, got.stderr
    assert len((tmp_path / f"{good_id}-train.jsonl").read_text().splitlines()) == 30
    assert (tmp_path / f"{good_id}-eval.jsonl").read_text().startswith('{"text": "eval 0"}')
    one = sieve(cli_env, tmp_path, "datasets", "download", good_id, "--split", "eval", "-o", "-")
    assert len(one.stdout.splitlines()) == 12
    both = sieve(cli_env, tmp_path, "datasets", "download", good_id, "-o", "-")
    assert both.returncode == 2 and "pick one with --split" in both.stderr
    refused = sieve(cli_env, tmp_path, "datasets", "download", bad_id)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"Error: {bad_id} failed validation, so it has no rows to download; "
        f"`sieve datasets report {bad_id}` lists what to fix"
    )


@pytest.mark.parametrize("skip", [False, True])
def test_check_says_what_the_server_says(tiny_chunk_stack, cli_env, tmp_path, skip):
    data = tmp_path / "bad.jsonl"
    data.write_text(BAD_ROWS)
    options = ["--type", "embed-input", *(["--skip-malformed"] if skip else [])]
    server = sieve(cli_env, tmp_path, "upload", str(data), *options, "--wait", "--json")
    assert server.returncode == (0 if skip else 1), server.stderr
    dataset = json.loads(server.stdout)
    # locally, in 300-byte chunks like the stack's, spread over a process pool
    local = sieve(
        {**cli_env, "SIEVE_CHUNK_BYTES": "300"},
        tmp_path,
        "check",
        str(data),
        *options,
        "--json",
        "--processes",
        "2",
        "--report",
        "local-report.jsonl",
    )
    assert local.returncode == server.returncode, local.stderr
    fetched = sieve(cli_env, tmp_path, "datasets", "report", dataset["id"], "-o", "server.jsonl")
    assert fetched.returncode == 0, fetched.stderr
    report = (tmp_path / "server.jsonl").read_text()
    assert report == (tmp_path / "local-report.jsonl").read_text()  # every finding alike
    assert len(report.splitlines()) == 3
    verdict = json.loads(local.stdout)
    assert verdict["validation_status"] == dataset["validation_status"]
    assert verdict["validation_error"] == dataset.get("validation_error")
    assert verdict["validation_warnings"] == dataset.get("validation_warnings", [])
    assert verdict["rows_seen"] == 63
    if not skip:
        assert "row 31 of the train file" in verdict["validation_error"]
    # and as one chunk in one process: the same words
    single = sieve(cli_env, tmp_path, "check", str(data), *options, "--json")
    assert json.loads(single.stdout)["validation_warnings"] == verdict["validation_warnings"]


def test_check_refuses_what_the_upload_refuses(cli_env, tmp_path):
    import gzip

    packed = tmp_path / "texts.jsonl"
    packed.write_bytes(gzip.compress(b'{"text": "a"}\n'))
    result = sieve(cli_env, tmp_path, "check", str(packed), "--type", "embed-input")
    assert result.returncode == 1
    assert result.stderr == "Error: the data file is gzip-compressed; upload it uncompressed\n"
    csv = tmp_path / "texts.csv"
    csv.write_text("text\nhello\n")
    result = sieve(cli_env, tmp_path, "check", str(csv), "--type", "chat-finetune-input")
    assert result.returncode == 1 and "chat-finetune-input accepts jsonl files" in result.stderr


def test_expected_errors_are_one_line(cli_env, tmp_path):
    data = tmp_path / "t.txt"
    data.write_text("one\n")
    dead = f"http://127.0.0.1:{free_port()}"
    cases = [
        (("upload", str(data), "--type", "embed-input", "--url", dead), "can't reach Sieve"),
        (("datasets", "list", "--api-key", "sk-wrong"), "the API key was refused"),
        (("upload", str(data), "--type", "no-such-type"), "Invalid value for '--type'"),
        (("keys", "list"), "no local Sieve in"),
    ]
    for args, expected in cases:
        result = sieve(cli_env, tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr and "Traceback" not in result.stderr, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) <= 3, result.stderr  # usage, its hint, the error
    unreachable = {**cli_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    result = sieve(unreachable, tmp_path, "keys", "list")
    assert result.returncode == 2 and result.stderr.startswith("Error: Redis is unreachable")
    assert len(result.stderr.splitlines()) == 1
    result = sieve({**cli_env, "SIEVE_MAX_ORG_BYTES": "10XB"}, tmp_path, "keys", "list")
    assert result.stderr == (
        "Error: SIEVE_MAX_ORG_BYTES='10XB' is not valid: expected a size: bytes, or a number "
        "with a unit (10GB, 1.5GiB, 500MB)\n"
    )
    assert result.returncode == 2


def test_version_help_and_completion(cli_env, tmp_path):
    from importlib.metadata import version

    assert sieve(cli_env, tmp_path, "--version").stdout == f"sieve, version {version('sieve')}\n"
    helped = sieve(cli_env, tmp_path, "--help").stdout
    for command in ("up", "upload", "check", "datasets", "keys", "status", "web", "worker"):
        assert f"  {command} " in helped
    script = sieve(cli_env, tmp_path, "completion", "bash")
    assert script.returncode == 0 and "_SIEVE_COMPLETE=bash_complete" in script.stdout
    words = subprocess.run(
        [str(BIN / "sieve")],
        env={
            **cli_env,
            "_SIEVE_COMPLETE": "bash_complete",
            "COMP_WORDS": "sieve data",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
    )
    assert "datasets" in words.stdout


def test_upload_shows_a_progress_bar_and_validation_progress_on_a_terminal(cli_env, tmp_path):
    import pty

    data = tmp_path / "big.jsonl"
    data.write_text("".join(f'{{"text": "line {i}"}}\n' for i in range(20_000)))
    leader, follower = pty.openpty()
    with open(os.devnull, "w") as quiet:
        done = subprocess.run(
            [str(BIN / "sieve"), "upload", str(data), "--type", "embed-input", "--wait"],
            env=cli_env,
            cwd=tmp_path,
            stdout=quiet,
            stderr=follower,
            timeout=180,
        )
    os.close(follower)
    shown = b""
    while True:
        try:
            block = os.read(leader, 65536)
        except OSError:
            break
        if not block:
            break
        shown += block
    os.close(leader)
    assert done.returncode == 0
    text = shown.decode()
    assert "uploading" in text and "100%" in text, text[-500:]
    assert "chunks" in text and "rows seen" in text, text[-500:]


def test_every_message_that_fails_the_dataset_reads_as_an_error(cli_env, tmp_path):
    """Three bad rows and a dropped duplicate: three `error:` lines, one `warning:` line, from
    `sieve check` and from the server's verdict alike."""
    rows = [{"text": f"row {i}"} for i in range(8)]
    rows[2], rows[4], rows[6] = {"text": ""}, {"text": 5}, {"txt": "x"}
    rows.append(rows[0])
    data = tmp_path / "bad.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    checked = sieve(cli_env, tmp_path, "check", str(data), "--type", "embed-input")
    uploaded = sieve(cli_env, tmp_path, "upload", str(data), "--type", "embed-input", "--wait")
    for result in (checked, uploaded):
        assert result.returncode == 1, result.stderr
        lines = result.stdout.splitlines()[1:]
        details = [i for i, line in enumerate(lines) if line.startswith("type: ")]  # get's
        labels = [line.split(":")[0] for line in lines[: (details or [len(lines)])[0]]]
        assert labels == ["error", "error", "error", "warning"], result.stdout


def test_convert_streams_other_formats_and_encodings_to_files_check_passes(cli_env, tmp_path):
    """OpenAI chat fine-tuning (written in UTF-16) becomes chat-finetune-input in UTF-8, the
    dropped tool call named by row; a Windows-1252 CSV is re-encoded; both then pass check."""
    rows = [
        {"messages": [{"role": "user", "content": f"é {i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(40)
    ]
    rows[7]["messages"][1]["tool_calls"] = [{"id": "x"}]
    source = tmp_path / "openai.jsonl"
    source.write_bytes(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-16")
    )
    out = tmp_path / "cohere.jsonl"
    result = sieve(
        cli_env, tmp_path, "convert", str(source), "--to", "chat-finetune-input", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "read as UTF-16; OpenAI chat fine-tuning (roles system, user, assistant) -> "
        "chat-finetune-input",
        "note: row 8: 'tool_calls' in turn 2 can't be carried over: dropped",
    ]
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0]) == {
        "messages": [{"role": "User", "content": "é 0"}, {"role": "Chatbot", "content": "a"}]
    }
    checked = sieve(cli_env, tmp_path, "check", str(out), "--type", "chat-finetune-input")
    assert checked.returncode == 0, checked.stdout
    legacy = tmp_path / "excel.csv"
    legacy.write_bytes(
        b"text,label\n" + "".join(f"café {i},{i % 2}\n" for i in range(40)).encode("cp1252")
    )
    fixed = tmp_path / "fixed.csv"
    kind = "single-label-classification-finetune-input"
    result = sieve(cli_env, tmp_path, "convert", str(legacy), "--to", kind, "-o", str(fixed))
    assert result.stderr.splitlines() == ["read as CP1252; rows kept as they are"]
    assert "café 3,1" in fixed.read_text(encoding="utf-8")
    assert sieve(cli_env, tmp_path, "check", str(fixed), "--type", kind).returncode == 0


@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "pretty-printed"])
def test_a_json_array_is_told_so_and_convert_writes_it_one_row_per_line(cli_env, tmp_path, indent):
    """The commonest not-JSON-Lines file: check names it once with the command; convert
    rewrites it (an OpenAI chat array, converted in the same pass) and then check passes."""
    rows = [
        {"messages": [{"role": "user", "content": f"q {i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(40)
    ]
    source = tmp_path / "openai.json"
    source.write_text(json.dumps(rows, indent=indent))
    kind = "chat-finetune-input"
    checked = sieve(cli_env, tmp_path, "check", str(source), "--type", kind)
    assert checked.returncode == 1
    assert (
        "error: the train file: a JSON array, not JSON Lines (one JSON object per line): "
        f"rewrite it with `sieve convert FILE --to {kind}`" in checked.stdout
    )
    out = tmp_path / "cohere.jsonl"
    result = sieve(cli_env, tmp_path, "convert", str(source), "--to", kind, "-o", str(out))
    assert result.stderr.splitlines() == [
        "read as UTF-8; a JSON array, written one row per line; OpenAI chat fine-tuning "
        f"(roles system, user, assistant) -> {kind}"
    ]
    assert len(out.read_text().splitlines()) == 40
    assert sieve(cli_env, tmp_path, "check", str(out), "--type", kind).returncode == 0
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(rows, indent=2)[:-30])
    half = tmp_path / "half.jsonl"
    failed = sieve(cli_env, tmp_path, "convert", str(broken), "--to", kind, "-o", str(half))
    assert failed.returncode == 2 and "the file's JSON breaks at line" in failed.stderr
    assert not half.exists() and not list(tmp_path.glob("*.partial"))


def test_parquet_and_avro_files_convert_to_rows_check_passes(cli_env, tmp_path):
    """Told at check what they are, with the command; converted in batches; then valid."""
    import fastavro
    import polars as pl

    texts = [f"text {i}" for i in range(25_000)]
    parquet = tmp_path / "rows.parquet"
    pl.DataFrame({"text": texts, "n": range(25_000)}).write_parquet(parquet, row_group_size=4000)
    avro = tmp_path / "rows.avro"
    schema = {"type": "record", "name": "r", "fields": [{"name": "text", "type": "string"}]}
    with avro.open("wb") as handle:
        fastavro.writer(handle, schema, ({"text": t} for t in texts))
    for source, kind in ((parquet, "Parquet"), (avro, "Avro")):
        checked = sieve(cli_env, tmp_path, "check", str(source), "--type", "embed-input")
        assert checked.returncode == 1  # the data's fault
        assert f"is an {kind} file" in checked.stderr or f"is a {kind} file" in checked.stderr
        out = tmp_path / f"{source.stem}-{kind}.jsonl"
        result = sieve(
            cli_env, tmp_path, "convert", str(source), "--to", "embed-input", "-o", str(out)
        )
        assert result.stderr.splitlines() == [f"read as {kind}; rows kept as they are"]
        lines = out.read_text().splitlines()
        assert [json.loads(line)["text"] for line in lines] == texts
        assert sieve(cli_env, tmp_path, "check", str(out), "--type", "embed-input").returncode == 0


def test_status_with_only_a_url_asks_that_server(tiny_chunk_stack, cli_env, tmp_path):
    """No Redis at hand: `sieve status` reads GET /v1/status with the user's key."""
    env = {k: v for k, v in cli_env.items() if k != "REDIS_URL"}
    shown = sieve(env, tmp_path, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["workers_alive"] >= 1 and status["tasks_in_progress"] >= 0
    listed = requests.get(
        f"{tiny_chunk_stack.url}/v1/datasets", params={"limit": 1000},
        headers={"Authorization": f"Bearer {KEYS['acme']}"},
    ).json()["datasets"]  # fmt: skip
    assert sum(status["datasets_by_status"].values()) == len(listed)
    text = sieve(env, tmp_path, "status")
    assert "awaiting redelivery:" in text.stdout and "workers alive:" in text.stdout
