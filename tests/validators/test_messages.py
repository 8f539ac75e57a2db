"""Messages a person can act on: where the problem is and what was found (issue 23)."""

from __future__ import annotations

import pytest

from tests.validators.simulate import jsonl, validate

LABELS = "single-label-classification-finetune-input"
HEADER = "the train file: csv files must have a header with the required fields: ['text', 'label']"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            b"Text,Label\na,b\n",
            f"{HEADER}; the header read has ['Text', 'Label'] (field names are case-sensitive: "
            "rename 'Text' to 'text', 'Label' to 'label')",
        ),
        (
            b"text;label\na;b\n",
            f"{HEADER}; the header read has ['text;label'] (it would match with ';' as the "
            "delimiter: csv_delimiter=; in the API, --delimiter ';' with the CLI)",
        ),
        (
            b"text\tlabel\na\tb\n",
            f"{HEADER}; the header read has ['text\\tlabel'] (it would match with a tab as the "
            "delimiter: csv_delimiter=%09 in the API, --delimiter $'\\t' with the CLI)",
        ),
        (
            b"Text;Label\na;b\n",
            f"{HEADER}; the header read has ['Text;Label'] (it would match with ';' as the "
            "delimiter: csv_delimiter=; in the API, --delimiter ';' with the CLI; and field "
            "names are case-sensitive: rename 'Text' to 'text', 'Label' to 'label')",
        ),
        (b"txt,lbl\na,b\n", f"{HEADER}; the header read has ['txt', 'lbl']"),
    ],
    ids=["letter-case", "semicolon", "tab", "semicolon-and-case", "other"],
)
def test_a_header_problem_shows_the_header_read_and_what_would_match(data, error):
    verdict, _ = validate(LABELS, {"train": ("csv", data)}, 1 << 30)
    assert verdict.error == error


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"text": "abc', "Unterminated string starting at column 10"),
        (b'{"text": "a\tb"}', "Invalid control character at column 12"),
        (b'{"text": "a",}', "Expecting property name enclosed in double quotes at column 14"),
    ],
)
def test_json_parse_messages_read_correctly(line, reason):
    rows = jsonl([{"text": f"row {i}"} for i in range(3)]) + line + b"\n"
    verdict, _ = validate("embed-input", {"train": ("jsonl", rows)}, 1 << 30)
    assert verdict.error == f"row 4 of the train file: is not valid JSON ({reason})"


def test_dataset_rules_that_fail_are_listed_with_the_row_errors():
    """A reranker file with 120 distinct queries and two bad rows: the rows, and right after
    the first, the unique-query rule (counted on the rows without errors)."""
    rows = [
        {"query": f"q{i}", "relevant_passages": [f"p{i}"], "hard_negatives": []} for i in range(120)
    ]
    rows[5]["query"], rows[9]["relevant_passages"] = "", []
    verdict, _ = validate("reranker-finetune-input", {"train": ("jsonl", jsonl(rows))}, 1 << 30)
    assert verdict.error == "row 6 of the train file: field 'query' is empty"
    assert verdict.warnings[0].startswith("the train file has 118 distinct 'query' values; ")
    assert verdict.warnings[1].startswith("row 10 of the train file: field 'relevant_passages'")
    assert verdict.failing_warnings == 2


def test_min_examples_is_listed_with_row_errors_only_when_fixing_them_would_not_do():
    short = [{"text": ""}] + [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(5)]
    verdict, _ = validate(LABELS, {"train": ("jsonl", jsonl(short))}, 1 << 30)
    assert verdict.error == "row 1 of the train file: field 'text' is empty"
    assert verdict.warnings[0].startswith("the train file has 6 rows; ")
    enough = [{"text": ""}] + [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(40)]
    verdict, _ = validate(LABELS, {"train": ("jsonl", jsonl(enough))}, 1 << 30)
    assert verdict.error == "row 1 of the train file: field 'text' is empty"
    assert not any("needs at least" in warning for warning in verdict.warnings)


TEXT = "text,label\n" + "".join(f"café {i},{'a' if i % 2 else 'b'}\n" for i in range(60))


@pytest.mark.parametrize(
    ("encoding", "found"),
    [
        ("utf-16", "UTF-16LE (with a BOM)"),
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("utf-32", "UTF-32LE (with a BOM)"),
        ("utf-32-be", "UTF-32BE"),
    ],
)
def test_a_file_in_utf16_or_utf32_is_refused_naming_its_encoding(encoding, found):
    from validators.formats import FileRefused, accepted_layout

    data = TEXT.encode(encoding)
    with pytest.raises(FileRefused) as refused:
        accepted_layout(LABELS, {"csv"}, "data", ("a.csv", data[:4096], len(data)), None)
    assert str(refused.value) == (
        f'the data file is {found}, not UTF-8; save it as UTF-8 (Excel: Save As, "CSV UTF-8"), '
        f"or re-encode it: sieve convert FILE --to TYPE, or iconv -f {found.split(' ')[0]} -t UTF-8"
    )


def test_a_file_in_a_legacy_encoding_gets_one_message_not_one_per_row():
    verdict, _ = validate(LABELS, {"train": ("csv", TEXT.encode("cp1252"))}, 1 << 30)
    assert verdict.error == (
        "the train file is not UTF-8: 60 rows hold bytes that are not (the first: row 1); it is "
        'likely in a legacy encoding such as Windows-1252 (Excel\'s "CSV" on Windows) or '
        'Latin-1: save it as UTF-8 (Excel: Save As, "CSV UTF-8"), or re-encode it: sieve convert '
        f"FILE --to {LABELS}, or iconv -f CP1252 -t UTF-8"
    )
    assert verdict.warnings == []
    same_in_utf8 = validate(LABELS, {"train": ("csv", TEXT.encode())}, 1 << 30)[0]
    assert same_in_utf8.status == "validated"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (
            b"PAR1\x15\x04",
            "a Parquet file, not CSV, JSON Lines or text: sieve convert FILE --to "
            "TYPE writes its rows as JSON Lines",
        ),
        (
            b"Obj\x01\x04\x14",
            "an Avro file, not CSV, JSON Lines or text: sieve convert FILE --to "
            "TYPE writes its rows as JSON Lines",
        ),
        (
            b"PK\x03\x04" + bytes(26) + b"[Content_Types].xml" + bytes(300) + b"xl/workbook.xml",
            "an Excel workbook (.xlsx), not CSV, JSON Lines or text: save it as CSV UTF-8 (Excel: "
            'File > Save As > "CSV UTF-8")',
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
            "an Excel 97-2003 workbook (or "
            "another Office file of then), not CSV, JSON Lines or text: save it as CSV UTF-8",
        ),
        (
            b"%PDF-1.4\n",
            "a PDF document, not CSV, JSON Lines or text: export its rows as CSV or JSON Lines",
        ),
        (
            b"PK\x03\x04" + bytes(26) + b"rows.jsonl" + bytes(5000),
            "zip-compressed; upload it uncompressed",
        ),
    ],
    ids=["parquet", "avro", "xlsx", "xls", "pdf", "plain-zip"],
)
def test_a_binary_file_is_named_with_what_to_do(head, message):
    from validators.formats import FileRefused, accepted_layout

    with pytest.raises(FileRefused) as refused:
        accepted_layout(LABELS, {"csv", "jsonl"}, "data", ("a.csv", head, len(head)), None)
    assert str(refused.value).startswith(f"the data file is {message}")


def test_an_upload_that_may_be_an_office_file_is_told_once_its_names_are_in():
    from validators.formats import FileRefused, refuse_unreadable

    start = b"PK\x03\x04" + bytes(26) + b"[Content_Types].xml"
    refuse_unreadable("data", start, whole=False)  # not yet: maybe an Excel workbook
    with pytest.raises(FileRefused, match="zip-compressed"):
        refuse_unreadable("data", start)  # the whole file: a zip
