"""The full validation report: every finding of every row, across chunks, with codes, rows,
excerpts and messages; through the pipeline (fakeredis, a temp directory) and the API."""

from __future__ import annotations

import csv
import io
import json

import pytest

from api import create_app
from store.removal import upload_prefix
from tests.api.test_views import RecordingEnqueuer
from tests.conftest import queued_record
from workers import pipeline

AUTH = {"Authorization": "Bearer key-acme"}


def _validated(
    stores,
    dataset_id: str,
    body: bytes,
    skip: bool = False,
    name: str = "a.jsonl",
    dataset_type: str = "embed-input",
    file_format: str = "jsonl",
    separator: str | None = None,
    optional: tuple[str, ...] = (),
):
    writer = stores.blobs.open_writer(upload_prefix(dataset_id, "train") + "/00000")
    writer.write(body)
    size = writer.commit()
    stored = {
        "key": upload_prefix(dataset_id, "train") + "/00000",
        "size": size,
        "format": file_format,
        "name": name,
        "separator": separator or "\n",
    }
    options = {"skip_malformed_input": skip, "text_separator": separator}
    options["optional_fields"] = list(optional) or None
    record = queued_record(
        dataset_id,
        size=size,
        options={k: v for k, v in options.items() if v is not None},
        files={"train": stored},
        dataset_type=dataset_type,
    )
    stores.datasets.create(record, None)
    chunks, _ = pipeline.start(stores, dataset_id)
    for chunk in reversed(chunks):  # any order
        pipeline.register_attempt(stores, dataset_id, chunk)
        pipeline.validate_chunk(stores, dataset_id, chunk)
    pipeline.finalize(stores, dataset_id)
    return stores.datasets.get(dataset_id), len(chunks)


def _report(client, dataset_id: str, form: str = "jsonl") -> str:
    response = client.get(f"/v1/datasets/{dataset_id}/report?format={form}", headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


@pytest.fixture
def service(make_stores):
    def build(**settings):
        stores = make_stores(**settings)
        stores.api_keys.register("acme", "key-acme")
        stores.api_keys.register("globex", "key-globex")
        return stores, create_app(stores.settings, stores, RecordingEnqueuer()).test_client()

    return build


def test_every_bad_row_is_in_the_report_whatever_the_chunks(service):
    rows, bad = [], []
    for i in range(3000):
        if i % 7 == 3:
            rows.append(json.dumps({"text": ""}))
            bad.append((i + 1, "text|not_empty", ""))
        elif i % 11 == 5:
            rows.append(json.dumps({"text": 12345}))
            bad.append((i + 1, "text|string", "12345"))
        elif i % 13 == 6:
            rows.append("{broken json")
            bad.append((i + 1, None, None))
        else:
            rows.append(json.dumps({"text": f"row {i}"}))
    body = ("\n".join(rows) + "\n").encode()
    seen = {}
    for chunk_bytes in (2_000, 50_000, 1 << 20):
        stores, client = service(chunk_bytes=chunk_bytes)
        record, chunks = _validated(stores, "big-aaaa", body)
        lines = [json.loads(line) for line in _report(client, "big-aaaa").splitlines()]
        assert len(lines) == len(bad) == record.report["findings"]
        assert [line["row"] for line in lines] == [row for row, _, _ in bad]
        for line, (row, code, excerpt) in zip(lines, bad, strict=True):
            assert line["file"] == "train" and line["filename"] == "a.jsonl"
            assert line["severity"] == "error"
            assert line["message"].startswith(f"row {row} of the train file")
            if code:
                assert line["code"] == code and line["excerpt"] == excerpt
        seen[chunk_bytes] = (lines, chunks)
        view = client.get("/v1/datasets/big-aaaa", headers=AUTH).get_json()["dataset"]
        summary = view["validation_report"]
        assert summary["findings"] == len(bad)
        assert sum(r["count"] for r in summary["by_rule"]) == len(bad)
        assert summary["path"] == "/v1/datasets/big-aaaa/report"
    assert seen[2_000][1] > 20 and seen[1 << 20][1] == 1
    assert seen[2_000][0] == seen[50_000][0] == seen[1 << 20][0]


def test_the_csv_report_escapes_formulas_and_long_values_are_cut(service):
    stores, client = service(chunk_bytes=1 << 20)
    body = (
        json.dumps({"text": '=HYPERLINK("http://evil")', "n": 1})
        + "\n"
        + json.dumps({"text": ["x" * 10_000]})
        + "\n"
        + '=HYPERLINK("http://evil", "click")\n'
        + "".join(json.dumps({"text": f"ok {i}"}) + "\n" for i in range(10))
    ).encode()
    record, _ = _validated(stores, "csv-bbbb", body, skip=True)
    assert record.status == "validated"
    lines = [json.loads(line) for line in _report(client, "csv-bbbb").splitlines()]
    assert [line["severity"] for line in lines] == ["dropped", "dropped"]
    assert lines[0]["row"] == 2 and len(lines[0]["excerpt"]) <= 120
    assert lines[1]["code"] == "row|json" and lines[1]["excerpt"].startswith("=HYPERLINK")
    table = list(csv.reader(io.StringIO(_report(client, "csv-bbbb", "csv"))))
    assert table[0] == [
        "code",
        "severity",
        "file",
        "filename",
        "row",
        "line",
        "field",
        "excerpt",
        "message",
    ]
    assert len(table) == 3 and table[2][7].startswith("'=HYPERLINK")  # shown, never run


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r", "\n", "\n="])
def test_a_csv_report_cell_that_a_spreadsheet_could_run_is_quoted(lead):
    """OWASP's list, with the line feed it added in 2025 (a cell "\\n=1+2" runs in some)."""
    import polars as pl

    from validators.full_report import REPORT_COLUMNS, report_text

    frame = pl.DataFrame({name: ["x"] for name in REPORT_COLUMNS}).with_columns(
        pl.lit(lead + "1+2").alias("excerpt"), pl.lit(1).alias("row"), pl.lit(2).alias("line")
    )
    table = list(csv.reader(io.StringIO("".join(report_text([frame], "csv")))))
    assert table[1][REPORT_COLUMNS.index("excerpt")] == "'" + lead + "1+2"


def test_the_report_waits_for_the_verdict_and_stays_in_its_organization(service):
    stores, client = service()
    stores.datasets.create(queued_record("busy-cccc"), None)
    answer = client.get("/v1/datasets/busy-cccc/report", headers=AUTH)
    assert answer.status_code == 409
    other = {"Authorization": "Bearer key-globex"}
    assert client.get("/v1/datasets/busy-cccc/report", headers=other).status_code == 404
    bad = client.get("/v1/datasets/busy-cccc/report?format=xml", headers=AUTH)
    assert bad.status_code == 400 and "format" in bad.get_json()["message"]


def test_150_000_bad_rows_give_150_000_lines_read_in_bounded_memory(service):
    import tracemalloc

    stores, client = service(chunk_bytes=128 * 1024)
    body = b"".join(b'{"text": "", "n": %d}\n' % i for i in range(150_000))
    record, chunks = _validated(stores, "all-bad-dddd", body)
    assert chunks > 20 and record.status == "failed"
    response = client.get("/v1/datasets/all-bad-dddd/report", headers=AUTH)
    tracemalloc.start()
    count, size, codes = 0, 0, set()
    for block in response.response:  # streamed as the report is read
        for line in block.splitlines():
            finding = json.loads(line)
            codes.add(finding["code"])
            count += 1
            size = max(size, len(line))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 150_000 and codes == {"text|not_empty"}
    assert size < 200
    assert peak < 16 * 1024 * 1024, peak  # one chunk's findings at a time, not the whole report


def test_rows_pages_and_search_deep_in_a_many_part_dataset(service):
    stores, client = service(chunk_bytes=20_000)
    body = b"".join(b'{"text": "row %d %s"}\n' % (i, b"needle" if i % 500 == 7 else b"hay")
                    for i in range(20_000))  # fmt: skip
    record, chunks = _validated(stores, "rows-eeee", body)
    assert record.status == "validated" and len(record.parts) == chunks > 20

    def get(**query):
        answer = client.get("/v1/datasets/rows-eeee/rows", query_string=query, headers=AUTH)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    deep = get(offset=17_345, limit=100)
    assert deep["total"] == 20_000 and len(deep["rows"]) == 100
    assert [r["position"] for r in deep["rows"]] == list(range(17_345, 17_445))
    assert [r["data"]["text"].split()[1] for r in deep["rows"]] == [
        str(i) for i in range(17_345, 17_445)
    ]
    assert get(offset=19_990)["rows"][-1]["data"]["text"] == "row 19999 hay"
    assert get(offset=20_000)["rows"] == []

    found = get(q="NEEDLE", limit=100)
    assert found["matches"] == 40 and not found["partial"] and found["field"] == "text"
    assert [r["position"] for r in found["rows"]] == [i for i in range(20_000) if i % 500 == 7]
    second = get(q="needle", offset=30, limit=5)
    assert [r["position"] for r in second["rows"]] == [i * 500 + 7 for i in range(30, 35)]

    too_many = client.get("/v1/datasets/rows-eeee/rows?limit=101", headers=AUTH)
    assert too_many.status_code == 400 and "limit" in too_many.get_json()["message"]
    other = {"Authorization": "Bearer key-globex"}
    assert client.get("/v1/datasets/rows-eeee/rows", headers=other).status_code == 404


def test_a_search_out_of_time_says_it_is_partial(service):
    from workers.rows import search

    stores, _ = service(chunk_bytes=20_000)
    body = b"".join(b'{"text": "row %d"}\n' % i for i in range(5_000))
    record, _ = _validated(stores, "slow-ffff", body)
    found = search(stores.blobs, record, "train", "row 4999", "text", 0, 10, deadline=0)
    assert found.partial and found.total < 5_000 and found.rows == []


def test_the_profile_is_served_whole_and_in_the_dataset_compact(service):
    stores, client = service(chunk_bytes=3_000)
    body = b"".join(b'{"text": "%s", "n": 1}\n' % (b"w" * (i % 50)) for i in range(1, 400))
    body += b'{"text": "   "}\n'
    record, chunks = _validated(stores, "prof-gggg", body, skip=True)
    assert chunks > 3
    full = client.get("/v1/datasets/prof-gggg/profile", headers=AUTH).get_json()["profile"]
    text = full["train"]["fields"]["text"]
    assert full["train"]["rows"] == 400 and text["count"] == 400
    assert (text["empty"], text["blank"], text["min"], text["max"]) == (7, 8, 0, 49)
    assert sum(b["count"] for b in text["histogram"]) == 400
    compact = client.get("/v1/datasets/prof-gggg", headers=AUTH).get_json()["dataset"]["profile"]
    assert "histogram" not in compact["train"]["fields"]["text"]
    assert compact["train"]["fields"]["text"]["p50"] == text["p50"]


def test_a_page_reads_only_the_blocks_that_hold_it(service, monkeypatch):
    from workers import parts

    monkeypatch.setattr(parts, "ROWS_PER_BLOCK", 1000)
    stores, client = service(chunk_bytes=1 << 20)
    body = b"".join(b'{"text": "row %d"}\n' % i for i in range(30_000))
    record, chunks = _validated(stores, "blocks-hhhh", body)
    part = record.parts[0]
    assert chunks == 1 and len(part["blocks"]) == 30
    reads = []
    real = stores.blobs.read_range
    monkeypatch.setattr(
        stores.blobs, "read_range", lambda k, a, b: reads.append(b - a) or real(k, a, b)
    )
    answer = client.get("/v1/datasets/blocks-hhhh/rows?offset=25950&limit=100", headers=AUTH)
    rows = answer.get_json()["rows"]
    assert [r["data"]["text"] for r in rows] == [f"row {i}" for i in range(25_950, 26_050)]
    assert sum(reads) < part["size_bytes"] / 10  # the header and two blocks of thirty

    import fastavro  # and the part is still one valid Avro file, as the SDK reads it

    with open(stores.settings.storage_root / part["key"], "rb") as handle:
        assert [r["text"] for r in fastavro.reader(handle)] == [f"row {i}" for i in range(30_000)]


def _starting_line(body: bytes, start: int) -> int:
    return body[:start].count(b"\n") + 1


@pytest.mark.parametrize("multi_line", [True, False])
@pytest.mark.parametrize("chunk_bytes", [100, 1 << 20])
def test_the_report_gives_the_file_line_where_each_row_starts(service, chunk_bytes, multi_line):
    """A CSV row is counted after the header and a cell may hold line ends: the report says
    on which line of the file each row starts. A file-wide finding (a duplicate) has its line
    where its chunk has one line per row (else null: finding it would read the chunk again)."""
    expected, body, seen = [], b"text\n", set()
    for i in range(40):
        text = "" if i % 9 == 4 else "same" if i % 10 == 7 else f"row {i}"
        if multi_line and i % 4 == 1:
            text = f"two\nlines {i}"
        if text == "" or text in seen:
            expected.append((i + 1, _starting_line(body, len(body)), text == ""))
        seen.add(text)
        body += ('"' + text + '"' if "\n" in text else text).encode() + b"\n"
    dataset_id = f"lines-{chunk_bytes}-{multi_line}"
    stores, client = service(chunk_bytes=chunk_bytes)
    record, chunks = _validated(stores, dataset_id, body, True, "a.csv", file_format="csv")
    assert record.status == "validated" and (chunks > 2) == (chunk_bytes == 100)
    found = {
        line["row"]: line["line"]
        for line in map(json.loads, _report(client, dataset_id).splitlines())
    }
    assert sorted(found) == [row for row, _, _ in expected]
    for row, line, in_its_chunk in expected:
        assert found[row] == (line if in_its_chunk or not multi_line else None), row


def test_rows_and_lines_of_jsonl_and_of_text_in_paragraphs(service):
    stores, client = service(chunk_bytes=120)
    body = b"".join((b"{}\n" if i % 5 == 2 else b'{"text": "t%d"}\n' % i) for i in range(30))
    _validated(stores, "lines-jsonl", body)
    found = [json.loads(line) for line in _report(client, "lines-jsonl").splitlines()]
    assert [(f["row"], f["line"]) for f in found] == [
        (i + 1, i + 1) for i in range(30) if i % 5 == 2
    ]
    paragraphs = [f"para {i}\nsecond line" if i % 4 else "  " for i in range(12)]
    body = ("\n\n".join(paragraphs) + "\n").encode()
    record, _ = _validated(
        stores, "lines-text", body, True, name="a.txt", file_format="txt", separator="\n\n"
    )
    found = [json.loads(line) for line in _report(client, "lines-text").splitlines()]
    starts, position = [], 0
    for paragraph in paragraphs:
        starts.append(_starting_line(body, position))
        position += len(paragraph) + len("\n\n")
    assert [(f["row"], f["line"]) for f in found] == [(i + 1, starts[i]) for i in range(0, 12, 4)]
    rows = client.get("/v1/datasets/lines-text/rows?limit=100", headers=AUTH).get_json()
    assert (
        rows["rows"][-1]["data"]["text"] == "para 11\nsecond line"
    )  # the file's last line end: no text


def test_each_duplicate_is_a_line_of_the_report_with_the_row_it_repeats(service):
    stores, client = service(chunk_bytes=200)
    texts = [f"t{i % 7}" if i % 3 == 0 else f"u{i}" for i in range(60)]
    body = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
    record, chunks = _validated(stores, "dups-iiii", body)
    assert chunks > 3 and record.status == "validated"
    first_seen, expected = {}, []
    for row, text in enumerate(texts, start=1):
        if text in first_seen:
            expected.append((row, first_seen[text]))
        first_seen.setdefault(text, row)
    lines = [json.loads(line) for line in _report(client, "dups-iiii").splitlines()]
    assert [(line["row"], line["code"], line["severity"]) for line in lines] == [
        (row, "row|duplicate", "dropped") for row, _ in expected
    ]
    row, first = expected[0]
    assert lines[0]["message"] == (
        f"row {row} of the train file: is an exact duplicate of row {first}: dropped"
    )
    profile = client.get("/v1/datasets/dups-iiii/profile", headers=AUTH).get_json()["profile"]
    assert profile["train"]["duplicates"]["rows"] == [list(pair) for pair in expected]


def test_the_report_narrows_to_a_rule_a_file_and_a_count(service):
    stores, client = service(chunk_bytes=300)
    rows = [{"text": ""} if i % 4 == 0 else {"text": 1} if i % 4 == 1 else {"text": f"r{i}"}
            for i in range(80)]  # fmt: skip
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    _validated(stores, "narrow-jjjj", body)

    def lines(**query) -> list[dict]:
        answer = client.get(
            "/v1/datasets/narrow-jjjj/report", query_string=query, headers=AUTH
        ).get_data(as_text=True)
        return [json.loads(line) for line in answer.splitlines()]

    empty = lines(code="text|not_empty")
    assert [line["row"] for line in empty] == list(range(1, 81, 4))
    assert [line["row"] for line in lines(code="text|string", limit=3)] == [2, 6, 10]
    assert len(lines(limit=7)) == 7 and lines(file="eval") == []
    assert lines(code="no|such_rule") == []


def test_each_bad_turn_is_named_with_its_value_in_the_verdict_and_the_report(service):
    """A chat row's message names the turn and the value, for the first 100 rows (the
    verdict) and for every row (the full report), whatever the chunks."""
    stores, client = service(chunk_bytes=2000)
    good = [{"role": "User", "content": "q"}, {"role": "Chatbot", "content": "a"}]
    rows = []
    for i in range(150):
        bad = {"role": f"bot{i}", "content": "x"} if i % 2 else {"role": "Chatbot"}
        rows.append({"messages": [*good, bad] if i % 3 else [bad, *good]})
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()
    record, chunks = _validated(stores, "turns-iiii", body, dataset_type="chat-finetune-input")
    assert chunks > 3 and record.status == "failed"

    def expected(i: int) -> str:
        turn = 3 if i % 3 else 1
        if i % 2:
            return f"has role 'bot{i}' in turn {turn}; the roles are System, User, Chatbot"
        return f"has no 'content' in turn {turn}"

    assert record.validation_error == f"row 1 of the train file: field 'messages' {expected(0)}"
    lines = [json.loads(line) for line in _report(client, "turns-iiii").splitlines()]
    assert [line["message"] for line in lines] == [
        f"row {i + 1} of the train file: field 'messages' {expected(i)}" for i in range(150)
    ]
