"""A corpus of malformed uploads, each through real HTTP and real workers: every one gets a clear
4xx or ends `failed` with a message naming the row — never a 5xx, a hung job or a dead worker."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile
import zlib

import pytest
import requests

EMBED = "embed-input"
CLASSIFY = "single-label-classification-finetune-input"
RERANK = "reranker-finetune-input"
CHAT = "chat-finetune-input"


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.jsonl", data)
    return buffer.getvalue()


def _xlsx() -> bytes:
    """What Excel's Save As makes of a sheet (its first entries, as a zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>" * 2000)
    return buffer.getvalue()


def _bom_bomb_csv() -> bytes:
    """A UTF-8 BOM, then a zlib stream that inflates to a valid 279 620-row CSV (22 KB)."""
    return b"\xef\xbb\xbf" + zlib.compress(b"text\n" + b"inflated row 0\n" * 279_620, 1)


def _zstd_frame() -> bytes:
    return b"\x28\xb5\x2f\xfd" + bytes(60)


GOOD = b'{"text": "fine"}\n'
ROWS = b"".join(b'{"text": "row %d"}\n' % i for i in range(5))
CLASS_ROWS = b"".join(
    b'{"text": "t%d", "label": "%s"}\n' % (i, b"ab"[i % 2 : i % 2 + 1]) for i in range(50)
)

# (id, dataset type, file name, body, extra params, expected): expected is an HTTP status for
# a refused upload, or ("failed" | "validated", text the error must contain)
CASES = [
    (
        "invalid-utf8-jsonl",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": "caf\xe9"}\n',
        {},
        ("failed", "row 2 of the train file: is not valid UTF-8"),
    ),
    (
        "invalid-utf8-csv",
        EMBED,
        "a.csv",
        b"text\nok\ncaf\xe9\n",
        {},
        ("failed", "row 2 of the train file: is not valid UTF-8"),
    ),
    (
        "invalid-utf8-txt",
        EMBED,
        "a.txt",
        b"ok\ncaf\xe9\n",
        {},
        ("failed", "row 2 of the train file: is not valid UTF-8"),
    ),
    (
        "latin1-csv",
        EMBED,
        "a.csv",
        "text\nna\u00efve\n".encode("latin-1"),
        {},
        ("failed", "not valid UTF-8"),
    ),
    (
        "utf16-jsonl",
        EMBED,
        "a.jsonl",
        '{"text": "a"}\n'.encode("utf-16"),
        {},
        400,
    ),
    (
        "nul-jsonl",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": "a\x00b"}\n',
        {},
        ("failed", "row 2 of the train file"),
    ),
    (
        "nul-csv",
        EMBED,
        "a.csv",
        b"text\na\x00b\n",
        {},
        ("failed", "row 1 of the train file: contains a NUL byte"),
    ),
    ("bom-jsonl", EMBED, "a.jsonl", b"\xef\xbb\xbf" + ROWS, {}, ("validated", "")),
    ("bom-csv", EMBED, "a.csv", b"\xef\xbb\xbftext\nhello\n", {}, ("validated", "")),
    ("crlf-jsonl", EMBED, "a.jsonl", ROWS.replace(b"\n", b"\r\n"), {}, ("validated", "")),
    ("crlf-csv", EMBED, "a.csv", b"text\r\nhello\r\nworld\r\n", {}, ("validated", "")),
    (
        "lone-cr-jsonl",
        EMBED,
        "a.jsonl",
        ROWS.replace(b"\n", b"\r"),
        {},
        ("failed", "row 1 of the train file: is not valid JSON"),
    ),
    (
        "cr-inside-json-string",
        EMBED,
        "a.jsonl",
        b'{"text": "a\rb"}\n',
        {},
        ("failed", "row 1 of the train file: is not valid JSON"),
    ),
    (
        "long-single-line",
        EMBED,
        "a.jsonl",
        b'{"text": "' + b"x" * 2_500_000 + b'"}\n',
        {},
        ("validated", ""),
    ),
    (
        "deep-nesting",
        EMBED,
        "a.jsonl",
        b'{"text": "a", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}\n",
        {},
        ("failed", "row 1 of the train file: nests deeper than 1024 levels"),
    ),
    (
        "deep-nesting-python-limit",
        EMBED,
        "a.jsonl",
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
        {},
        ("failed", "row 1 of the train file"),
    ),
    (
        "json-array-rows",
        EMBED,
        "a.jsonl",
        b'["text", "a"]\n',
        {},
        ("failed", "is not a JSON object (got a list; JSONL is one JSON object per line"),
    ),
    ("json-string-rows", EMBED, "a.jsonl", b'"hello"\n', {}, ("failed", "is not a JSON object")),
    ("json-null-rows", EMBED, "a.jsonl", b"null\n", {}, ("failed", "is not a JSON object")),
    (
        "json-whole-array",
        EMBED,
        "a.json",
        b'[{"text": "a"}, {"text": "b"}]',
        {},
        ("failed", "the train file: a JSON array, not JSON Lines (one JSON object per line)"),
    ),
    ("empty-object", EMBED, "a.jsonl", b"{}\n", {}, ("failed", "field 'text' is missing")),
    (
        "number-for-string",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": 12}\n',
        {},
        ("failed", "row 2 of the train file: field 'text' must be a string, got a number"),
    ),
    (
        "bool-for-string",
        EMBED,
        "a.jsonl",
        b'{"text": true}\n',
        {},
        ("failed", "must be a string, got a boolean"),
    ),
    (
        "object-for-string",
        EMBED,
        "a.jsonl",
        b'{"text": {"a": 1}}\n',
        {},
        ("failed", "must be a string, got an object"),
    ),
    (
        "nan-literal",
        EMBED,
        "a.jsonl",
        b'{"text": NaN}\n',
        {},
        ("failed", "row 1 of the train file"),
    ),
    (
        "lone-surrogate-escape",
        EMBED,
        "a.jsonl",
        b'{"text": "\\ud800"}\n',
        {},
        ("validated", ""),  # valid JSON syntax; polars stores U+FFFD
    ),
    (
        "truncated-last-line",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": "cut',
        {},
        ("failed", "row 2 of the train file: is not valid JSON"),
    ),
    (
        "trailing-garbage",
        EMBED,
        "a.jsonl",
        b'{"text": "a"} x\n',
        {},
        ("failed", "is not valid JSON"),
    ),
    (
        "blank-lines-only",
        EMBED,
        "a.jsonl",
        b"\n\n\n",
        {},
        ("failed", "row 1 of the train file: is empty"),
    ),
    (
        "whitespace-only",
        EMBED,
        "a.jsonl",
        b"   \n",
        {},
        ("failed", "row 1 of the train file: is empty"),
    ),
    (
        "wrong-csv-delimiter",
        EMBED,
        "a.csv",
        b"text;id\nhello;1\n",
        {},
        ("failed", "csv files must have a header with the required fields: ['text']"),
    ),
    (
        "ragged-csv",
        EMBED,
        "a.csv",
        b"text,id\na,1\nb,2,3\n",
        {},
        ("failed", "row 2 of the train file: has 3 fields but the header has 2"),
    ),
    (
        "unterminated-quote",
        EMBED,
        "a.csv",
        b'text\n"never closed\n',
        {},
        ("failed", "is not valid CSV"),
    ),
    (
        "header-only-csv",
        EMBED,
        "a.csv",
        b"text\n",
        {},
        ("failed", "the train file has 0 valid examples"),
    ),
    (
        "header-without-newline",
        EMBED,
        "a.csv",
        b"text",
        {},
        ("failed", "the train file has 0 valid examples"),
    ),
    (
        "short-csv-row",
        CLASSIFY,
        "a.csv",
        b"text,label\n"
        + b"".join(b"t%d,%s\n" % (i, b"ab"[i % 2 : i % 2 + 1]) for i in range(50))
        + b"lonely\n",
        {},
        ("failed", "row 51 of the train file: field 'label' is empty"),
    ),
    (
        "duplicate-csv-header",
        EMBED,
        "a.csv",
        b"text,text\na,b\n",
        {},
        ("failed", "the train file: the csv header names 'text' more than once"),
    ),
    (
        "delimiter-lines-only",
        EMBED,
        "a.csv",
        b"text,x\n,\n,\n",
        {},
        ("failed", "row 1 of the train file: field 'text' is empty"),
    ),
    (
        "html-as-csv",
        EMBED,
        "a.csv",
        b"<html><body>502 Bad Gateway</body></html>\n",
        {},
        ("failed", "csv files must have a header"),
    ),
    (
        "png-as-jsonl",
        EMBED,
        "a.jsonl",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        {},
        ("failed", "row 1 of the train file"),
    ),
    (
        "random-bytes",
        EMBED,
        "a.jsonl",
        bytes((i * 7919) % 256 for i in range(4000)),
        {},
        (
            "failed",
            "the train file is not UTF-8: 17 rows hold bytes that are not (the first: row 1)",
        ),
    ),
    (
        "label-number",
        CLASSIFY,
        "a.jsonl",
        CLASS_ROWS + b'{"text": "t", "label": 3}\n',
        {},
        ("failed", "row 51 of the train file: field 'label' must be a string, got a number"),
    ),
    (
        "reranker-empty-relevant",
        RERANK,
        "a.jsonl",
        b'{"query": "q", "relevant_passages": []}\n',
        {},
        (
            "failed",
            "row 1 of the train file: field 'relevant_passages' must have at least one item",
        ),
    ),
    (
        "chat-messages-missing",
        CHAT,
        "a.jsonl",
        b'{"conversation": []}\n',
        {},
        ("failed", "row 1 of the train file: field 'messages' is missing"),
    ),
    (
        "chat-messages-string",
        CHAT,
        "a.jsonl",
        b'{"messages": "hi"}\n',
        {},
        ("failed", "field 'messages' must be a list, got a string"),
    ),
    (
        "many-columns-csv",
        EMBED,
        "a.csv",
        (
            ",".join(["text"] + [f"c{i}" for i in range(5000)])
            + "\n"
            + ",".join(["hi"] + ["x"] * 5000)
            + "\n"
        ).encode(),
        {},
        ("validated", ""),
    ),
    (
        "bad-text-separator-utf8",
        EMBED,
        "a.txt",
        b"one||two||\xff",
        {"text_separator": "||"},
        ("failed", "row 3 of the train file: is not valid UTF-8"),
    ),
    ("empty-file", EMBED, "a.jsonl", b"", {}, 400),
    ("gzip-as-jsonl", EMBED, "a.jsonl", gzip.compress(ROWS * 100), {}, 400),
    ("gzip-as-csv", EMBED, "a.csv", gzip.compress(b"text\nhello\n"), {}, 400),
    ("zstd-as-csv", EMBED, "a.csv", _zstd_frame(), {}, 400),
    ("zip-as-jsonl", EMBED, "a.jsonl", _zip(ROWS), {}, 400),
    ("xlsx-as-csv", CLASSIFY, "a.csv", _xlsx(), {}, 400),
    ("parquet", EMBED, "data.parquet", b"PAR1" + bytes(200) + b"PAR1", {}, 400),
    ("pdf", EMBED, "rows.pdf", b"%PDF-1.7\n" + bytes(100), {}, 400),
    ("bzip2-as-jsonl", EMBED, "a.jsonl", bz2.compress(ROWS), {}, 400),
    ("xz-as-jsonl", EMBED, "a.jsonl", lzma.compress(ROWS), {}, 400),
    ("zlib-as-txt", EMBED, "a.txt", b"\x78\x9c" + bytes(30), {}, 400),
    ("csv-for-jsonl-only-type", CHAT, "a.csv", b"messages\nhi\n", {}, 400),
    ("txt-for-classification", CLASSIFY, "a.txt", b"hello\n", {}, 400),
    ("traversal-filename", EMBED, "../../etc/passwd\x00.jsonl", ROWS, {}, ("validated", "")),
    # round 2 (issue 11): what got through before
    ("bom-then-zlib-csv", EMBED, "b.csv", _bom_bomb_csv(), {}, 400),
    ("bom-then-zlib-jsonl", EMBED, "b.jsonl", b"\xef\xbb\xbf" + zlib.compress(ROWS * 500), {}, 400),
    (
        "nan-value",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": "a", "score": NaN}\n',
        {},
        ("failed", "row 2 of the train file: is not valid JSON (NaN is not a JSON value)"),
    ),
    (
        "infinity-kept",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": "a", "score": Infinity}\n',
        {"optional_fields": "score"},
        ("failed", "row 2 of the train file: is not valid JSON (Infinity"),
    ),
    (
        "minus-infinity",
        EMBED,
        "a.jsonl",
        b'{"text": "a", "s": -Infinity}\n' + GOOD,
        {},
        ("failed", "row 1 of the train file: is not valid JSON (-Infinity is not a JSON value)"),
    ),
    (
        "duplicate-kept-key",
        EMBED,
        "a.jsonl",
        ROWS + b'{"text": "a", "text": "b"}\n',
        {},
        ("failed", "row 6 of the train file: field 'text' appears twice in the object"),
    ),
    (
        "nul-in-txt",
        EMBED,
        "a.txt",
        b"one\ntw\x00o\n",
        {},
        ("failed", "row 2 of the train file: contains a NUL byte"),
    ),
    (
        "utf16-without-bom-txt",
        EMBED,
        "a.txt",
        "hello\nworld\n".encode("utf-16-le"),
        {},
        ("failed", "row 1 of the train file: contains a NUL byte"),
    ),
    (
        "utf16-with-bom-jsonl",
        EMBED,
        "a.jsonl",
        '{"text": "a"}\n'.encode("utf-16"),
        {},
        400,  # "the data file is UTF-16LE (with a BOM), not UTF-8; save it as UTF-8 ..."
    ),
    (
        "39-digit-optional-int",
        EMBED,
        "a.jsonl",
        GOOD + b'{"text": "a", "n": 123456789012345678901234567890123456789}\n',
        {"optional_fields": "n"},
        ("failed", "row 2 of the train file: field 'n' holds an integer beyond 64 bits"),
    ),
    (
        "uint64-kept",
        EMBED,
        "a.jsonl",
        b'{"text": "a", "n": 18446744073709551615}\n',
        {"keep_fields": "n"},
        ("failed", "field 'n' holds an integer beyond 64 bits"),
    ),
    (
        "internal-looking-kept-field",
        EMBED,
        "a.jsonl",
        b'{"text": "a", "__row": 7}\n',
        {"keep_fields": "__row"},
        ("validated", ""),
    ),
    (
        "tsv-by-extension",
        CLASSIFY,
        "a.tsv",
        b"text\tlabel\n"
        + b"".join(b"t%d\t%s\n" % (i, b"ab"[i % 2 : i % 2 + 1]) for i in range(50)),
        {},
        ("validated", ""),
    ),
    (
        "semicolon-csv",
        EMBED,
        "a.csv",
        b"text;lang\nhello;en\n",
        {},
        ("failed", "(it would match with ';' as the delimiter: csv_delimiter=; in the API"),
    ),
    (
        "json-array-file",
        EMBED,
        "a.jsonl",
        b'[\n{"text": "a"},\n{"text": "b"}\n]\n',
        {},
        ("failed", "the train file: a JSON array, not JSON Lines (one JSON object per line)"),
    ),
]


@pytest.mark.parametrize(
    ("case", "dataset_type", "filename", "body", "params", "expected"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_malformed_upload(stack, case, dataset_type, filename, body, params, expected):
    response = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": case, "type": dataset_type, **params},
        files={"data": (filename, body)},
        headers=stack.headers(),
        timeout=60,
    )
    stack.expect_outcome(response, expected)


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 50


def _raw_post(stack, headers: dict, body: bytes) -> requests.Response:
    return requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "raw", "type": EMBED},
        data=body,
        headers={**stack.headers(), **headers},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({"Content-Type": "multipart/form-data"}, b"--x\r\n\r\n", "multipart/form-data"),
        (
            {"Content-Type": "application/json"},
            json.dumps({"text": "a"}).encode(),
            "multipart/form-data",
        ),
        (
            {"Content-Type": "multipart/form-data; boundary=right"},
            b'--wrong\r\nContent-Disposition: form-data; name="data"; filename="a.jsonl"\r\n\r\n'
            + GOOD
            + b"\r\n--wrong--\r\n",
            "multipart",
        ),
        (
            {"Content-Type": "multipart/form-data; boundary=b"},
            b'--b\r\nContent-Disposition: form-data; name="data"; filename="a.jsonl"\r\nX-Pad: '
            + b"p" * 200_000
            + b"\r\n\r\n"
            + GOOD
            + b"\r\n--b--\r\n",
            "multipart",
        ),
    ],
    ids=["boundary-missing", "not-multipart", "wrong-boundary", "oversized-part-header"],
)
def test_broken_multipart_is_a_clear_400(stack, headers, body, message):
    response = _raw_post(stack, headers, body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_workers_survived_the_corpus(stack):
    log = (stack.storage.parent / "stack.log").read_text(errors="replace")
    assert "Worker exited prematurely" not in log and "WorkerLostError" not in log


TOO_LONG = "row 1 of the train file: is longer than 16 MiB, the most a row may be"


@pytest.mark.parametrize(
    ("closing", "status", "error"),
    [(b'"}\n', "failed", TOO_LONG), (b"\n", "failed", TOO_LONG), (b"", "failed", TOO_LONG)],
    ids=["valid-json", "unterminated", "no-line-end"],
)
def test_a_100_mb_single_line(tiny_chunk_stack, closing, status, error):
    """Read up to the row limit (16 MiB), never whole into a worker's memory."""
    body = b'{"text": "' + b"y" * (100 * 1024 * 1024) + closing
    response = requests.post(
        f"{tiny_chunk_stack.url}/v1/datasets",
        params={"name": "one-line", "type": EMBED},
        files={"data": ("big.jsonl", body)},
        headers=tiny_chunk_stack.headers(),
        timeout=300,
    )
    assert response.status_code == 200, response.text
    dataset = tiny_chunk_stack.wait_final(response.json()["id"], timeout=120)
    assert dataset["validation_status"] == status
    assert (dataset.get("validation_error") or "").startswith(error or "")
    requests.delete(
        f"{tiny_chunk_stack.url}/v1/datasets/{dataset['id']}", headers=tiny_chunk_stack.headers()
    )


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"], ids=["windows", "unix"])
def test_paragraphs_part_on_the_files_own_line_ends(tiny_chunk_stack, line_end):
    """text_separator '\\n\\n' parts a file saved on Windows (CRLF) too, in chunks cut as the
    bytes arrive, and no row keeps a separator or the last line end."""
    paragraphs = [f"paragraph {i}{line_end.decode()}its second line" for i in range(40)]
    body = (line_end * 2).join(p.encode() for p in paragraphs) + line_end
    response = tiny_chunk_stack.create(
        {"data": ("paragraphs.txt", body)}, name="paragraphs", text_separator="\n\n"
    )
    assert response.status_code == 200, response.text
    dataset = tiny_chunk_stack.wait_final(response.json()["id"], timeout=60)
    assert dataset["validation_status"] == "validated", dataset.get("validation_error")
    rows = requests.get(
        f"{tiny_chunk_stack.url}/v1/datasets/{dataset['id']}/rows",
        params={"limit": 100},
        headers=tiny_chunk_stack.headers(),
        timeout=30,
    ).json()["rows"]
    assert sorted(row["data"]["text"] for row in rows) == sorted(paragraphs)
    requests.delete(
        f"{tiny_chunk_stack.url}/v1/datasets/{dataset['id']}", headers=tiny_chunk_stack.headers()
    )
