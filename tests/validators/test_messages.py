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
        (b"txt,lbl\na,b\n", f"{HEADER}; the header read has ['txt', 'lbl']"),
    ],
    ids=["letter-case", "semicolon", "tab", "other"],
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
