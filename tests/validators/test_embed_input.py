"""embed-input rules on small inline chunks: parse -> evaluate -> merge -> judge."""

from __future__ import annotations

import pytest

from validators.engine import RuleOptions, evaluate_chunk
from validators.parsing import ParseOptions, parse_chunk
from validators.registry import spec_for, supported_types
from validators.report import merge
from validators.verdict import judge

SPEC = spec_for("embed-input")


def run(data: bytes, fmt: str = "jsonl", skip: bool = False, keep=(), optional=(), **parse):
    fields = ("text", *keep, *optional)
    parsed = parse_chunk(data, ParseOptions(fmt, fields, SPEC.field_kinds, **parse))
    report, valid = evaluate_chunk(SPEC, parsed, RuleOptions(fmt, tuple(keep)))
    return judge(SPEC, [merge(SPEC, "train", [report])], skip), valid


def test_registry_lists_embed_input():
    assert "embed-input" in supported_types()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b'{"text": ""}\n', "row 1 of the train file: field 'text' is empty"),
        (b'{"text": "a"}\n{"text": "   "}\n', "row 2 of the train file: field 'text' is empty"),
        (b'{"text": "a"}\n{"other": 1}\n', "row 2 of the train file: field 'text' is missing"),
        (b'{"text": "a"}\n{"text": null}\n', "row 2 of the train file: field 'text' is missing"),
        (b'{"text": 5}\n', "row 1 of the train file: field 'text' must be a string, got a number"),
        (
            b'{"text": ["a"]}\n',
            "row 1 of the train file: field 'text' must be a string, got a list",
        ),
        (b'{"text": "a"}\n\n{"text": "b"}\n', "row 2 of the train file: is empty"),
        (b'{"text": "a"}\n{"text": \n', "row 2 of the train file: is not valid JSON"),
        (
            b"[1, 2]\n",
            "row 1 of the train file: is not a JSON object (got a list; JSONL is one JSON object per line, not a JSON array)",
        ),
        (b'{"text": "a\xff"}\n', "row 1 of the train file: is not valid UTF-8"),
        (b'{"text": "a"}\r{"text": "b"}\r', "row 1 of the train file: is not valid JSON"),
        (
            b'{"text": ' + b"[" * 200 + b"]" * 200 + b"}\n",
            "row 1 of the train file: field 'text' nests deeper",
        ),
    ],
)
def test_bad_rows_fail_naming_row_and_field(data, error):
    verdict, _ = run(data)
    assert verdict.status == "failed"
    assert verdict.error.startswith(error)


def test_valid_jsonl_with_bom_and_crlf_passes():
    verdict, valid = run(b'\xef\xbb\xbf{"text": "a"}\r\n{"text": "b"}\r\n')
    assert verdict.status == "validated" and valid["text"].to_list() == ["a", "b"]


def test_nested_text_key_does_not_confuse_the_type_check():
    verdict, valid = run(b'{"meta": {"text": 5}, "text": "real"}\n')
    assert verdict.status == "validated" and valid["text"].to_list() == ["real"]


def test_skip_malformed_drops_rows_and_warns():
    verdict, valid = run(b'{"text": "a"}\n{"text": ""}\nnope\n{"text": "b"}\n', skip=True)
    assert verdict.status == "validated"
    assert valid["text"].to_list() == ["a", "b"]
    assert verdict.warnings == [
        "row 2 of the train file: field 'text' is empty (row dropped)",
        "row 3 of the train file: is not valid JSON (Expecting value at column 1) (row dropped)",
    ]


def test_skip_malformed_still_fails_with_no_valid_rows():
    verdict, _ = run(b'{"text": ""}\n', skip=True)
    assert verdict.status == "failed"
    assert verdict.error == "the train file has 0 valid examples; embed-input needs at least 1"


def test_several_problems_first_is_error_rest_are_warnings():
    verdict, _ = run(b'{"text": ""}\n{"text": 1}\n')
    assert verdict.error == "row 1 of the train file: field 'text' is empty"
    assert verdict.warnings == [
        "row 2 of the train file: field 'text' must be a string, got a number"
    ]


def test_warnings_are_capped_with_a_count_of_the_rest():
    verdict, _ = run(b'{"text": ""}\n' * 250)
    assert verdict.status == "failed"
    assert len(verdict.warnings) == 100  # rows 2..100, then the count of the rest
    assert verdict.warnings[-1] == "... and 150 more"


def test_keep_fields_must_exist_in_every_row_optional_fields_need_not():
    kept, _ = run(b'{"text": "a", "k": 1}\n{"text": "b"}\n', keep=("k",))
    assert kept.error == "row 2 of the train file: field 'k' is missing"
    optional, valid = run(b'{"text": "a", "k": 1}\n{"text": "b"}\n', optional=("k",))
    assert optional.status == "validated" and valid["k"].to_list() == [1, None]


def test_mixed_types_in_a_kept_field_keep_their_json_types():
    _, valid = run(
        b'{"text": "a", "k": 1}\n{"text": "b", "k": "x"}\n{"text": "c", "k": {"n": 1}}\n',
        optional=("k",),
    )
    assert valid["k"].to_list() == [1, "x", {"n": 1}]


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        (b'text,x\n"a, with comma",1\n"multi\nline",2\n', "validated", None),
        (
            b"txt\na\n",
            "failed",
            "the train file: csv files must have a header with the required fields: ['text']",
        ),
        (b"text\na\n\nb\n", "failed", "row 2 of the train file: is empty"),
        (b'text\n"unterminated\n', "failed", "row 1 of the train file: is not valid CSV"),
        (b"text\na,b\n", "failed", "row 1 of the train file: has 2 fields but the header has 1"),
        (b"text\n\xff\n", "failed", "row 1 of the train file: is not valid UTF-8"),
    ],
)
def test_csv(data, status, error):
    verdict, _ = run(data, "csv")
    assert verdict.status == status
    assert (verdict.error or "").startswith(error or "")


def test_csv_with_other_delimiter():
    verdict, valid = run(b"id;text\n1;hello, world\n", "csv", delimiter=";")
    assert verdict.status == "validated" and valid["text"].to_list() == ["hello, world"]


def test_text_files_split_on_the_separator():
    verdict, valid = run(b"one\n--\ntwo\n--\n", "txt", separator="\n--\n")
    assert verdict.status == "validated" and valid["text"].to_list() == ["one", "two"]
    empty, _ = run(b"one\n\ntwo\n", "txt")
    assert empty.error == "row 2 of the train file: field 'text' is empty"


def test_csv_fast_and_exact_paths_agree_on_empty_and_short_rows():
    from validators.parsing.common import ParseOptions as Options
    from validators.parsing.csvfile import _parse_csv_exact, _parse_csv_fast

    document = b'text,other\n"a, b",1\n,2\nc\nd,\n'
    options = Options("csv", ("text", "other"), SPEC.field_kinds)
    fast, exact = _parse_csv_fast(document, options), _parse_csv_exact(document, options)
    assert fast is not None, "the polars path must accept plain CSV"
    assert fast.frame.to_dicts() == exact.frame.to_dicts()
    assert fast.frame["text"].to_list() == ["a, b", "", "c", "d"]
