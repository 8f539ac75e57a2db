"""Every dataset type: a valid file passes; each rule broken once fails naming row and field;
skip_malformed_input drops the row with a warning; eval rules; CSV = JSONL; any chunk size
gives the same verdict."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.validators.broken_rows import NESTED_BROKEN_ROWS, ROW
from tests.validators.simulate import as_csv, jsonl, validate
from validators.kinds import FieldKind, Turns
from validators.registry import spec_for, supported_types

MSG = [
    {"role": "System", "content": "be nice"},
    {"role": "User", "content": "hi"},
    {"role": "Chatbot", "content": "hello"},
]


def valid_rows(dataset_type: str, count: int | None = None, prefix: str = "") -> list[dict]:
    """Rows built from the type's own example, enough for its dataset rules by default."""
    spec = spec_for(dataset_type)
    return [spec.example(i, prefix) for i in range(count or spec.rows_needed() + 5)]


SPLIT_NOTE = "no eval_data was given: "


def data_warnings(verdict) -> list[str]:
    """The warnings about the data itself (not the note on the automatic eval split)."""
    return [w for w in verdict.warnings if not w.startswith(SPLIT_NOTE)]


def all_kept(kept: dict[str, list[dict]]) -> list[dict]:
    return kept.get("train", []) + kept.get("eval", [])


def as_stored(dataset_type: str, rows: list[dict]) -> list[dict]:
    """Rows as the parts hold them: a nested body is kept as its own JSON text in the line
    (simulate.jsonl writes it with json.dumps)."""
    kinds = dict(spec_for(dataset_type).field_kinds)
    stored = [{name: None for name in kinds} | row for row in rows]
    return [{n: _stored(kinds.get(n), v) for n, v in row.items()} for row in stored]


def _stored(kind: FieldKind | None, value: object) -> object:
    if kind is None or value is None:
        return value
    if kind.stores_json_text:
        return json.dumps(value)
    value = kind.normalised(value)
    if isinstance(kind, Turns):  # the keys read beside role and content are not stored
        value = [{key: turn[key] for key in kind.keys} for turn in value]
    return value


CSV_TYPES = [
    "embed-input",
    "prompt-completion-finetune-input",
    "single-label-classification-finetune-input",
    "multi-label-classification-finetune-input",
]


@pytest.mark.parametrize("dataset_type", supported_types())
def test_a_valid_file_passes(dataset_type):
    rows = valid_rows(dataset_type)
    verdict, kept = validate(dataset_type, {"train": ("jsonl", jsonl(rows))})
    assert (verdict.status, verdict.error, data_warnings(verdict)) == ("validated", None, [])
    stored = as_stored(dataset_type, rows)
    if spec_for(dataset_type).eval_split:  # split by row hash, each side in file order
        assert 0 < len(kept["eval"]) < len(kept["train"])
        assert sorted(map(str, all_kept(kept))) == sorted(map(str, stored))
    else:
        assert kept["train"] == stored


@pytest.mark.parametrize("dataset_type", CSV_TYPES)
def test_csv_and_jsonl_of_the_same_rows_agree(dataset_type):
    rows = valid_rows(dataset_type)
    broken = copy.deepcopy(rows)
    broken[3][next(iter(broken[3]))] = ""
    for data in (rows, broken):
        from_jsonl = validate(dataset_type, {"train": ("jsonl", jsonl(data))})
        from_csv = validate(dataset_type, {"train": ("csv", as_csv(data))})
        assert from_jsonl == from_csv


# (type, row index to break, replacement row or a function of the row, expected error)
BROKEN_ROWS = [
    (
        "prompt-completion-finetune-input",
        4,
        {"prompt": "", "completion": "x"},
        "row 5 of the train file: field 'prompt' is empty",
    ),
    (
        "prompt-completion-finetune-input",
        4,
        {"prompt": "p"},
        "row 5 of the train file: field 'completion' is missing",
    ),
    (
        "prompt-completion-finetune-input",
        4,
        {"prompt": "p", "completion": 7},
        "row 5 of the train file: field 'completion' must be a string, got a number",
    ),
    (
        "single-label-classification-finetune-input",
        9,
        {"text": "t", "label": ""},
        "row 10 of the train file: field 'label' is empty",
    ),
    (
        "single-label-classification-finetune-input",
        9,
        {"text": "t", "label": ["a"]},
        "row 10 of the train file: field 'label' must be a string, got a list",
    ),
    (
        "multi-label-classification-finetune-input",
        9,
        {"text": "t", "label": "a"},
        "row 10 of the train file: field 'label' must be a list, got a string",
    ),
    (
        "multi-label-classification-finetune-input",
        9,
        {"text": "t", "label": ["a", 1]},
        "row 10 of the train file: field 'label' must be a list of strings, got a number in it",
    ),
    (
        "multi-label-classification-finetune-input",
        9,
        {"text": "t", "label": ["a", " "]},
        "row 10 of the train file: field 'label' has an empty item",
    ),
    (
        "multi-label-classification-finetune-input",
        9,
        {"text": "t"},
        "row 10 of the train file: field 'label' is missing",
    ),
    (
        "reranker-finetune-input",
        99,
        {"query": "q", "relevant_passages": []},
        "row 100 of the train file: field 'relevant_passages' must have at least one item",
    ),
    (
        "reranker-finetune-input",
        99,
        {"query": "q", "relevant_passages": ["a"], "hard_negatives": ["a"]},
        "row 100 of the train file: field 'relevant_passages' shares a passage with 'hard_negatives'",
    ),
    (
        "reranker-finetune-input",
        99,
        {"query": "", "relevant_passages": ["a"]},
        "row 100 of the train file: field 'query' is empty",
    ),
    (
        "reranker-finetune-input",
        99,
        {"query": "q", "relevant_passages": "a"},
        "row 100 of the train file: field 'relevant_passages' must be a list, got a string",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1]]},
        "row 2 of the train file: field 'messages' needs at least one Chatbot turn",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[2]]},
        "row 2 of the train file: field 'messages' needs at least one User turn",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], MSG[2], MSG[0]]},
        "row 2 of the train file: field 'messages' has a System turn as turn 3; "
        "only the first turn may be System",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Bot", "content": "x"}, MSG[2]]},
        "row 2 of the train file: field 'messages' has role 'Bot' in turn 2; "
        "the roles are System, User, Chatbot",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Chatbot", "content": ""}]},
        "row 2 of the train file: field 'messages' has empty content in turn 2",
    ),
    (  # polars read a null turn as a null struct (found by tests/validators/test_compiled.py)
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], None, MSG[2]]},
        "row 2 of the train file: field 'messages' turn 2 must be an object, got null",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Chatbot"}]},
        "row 2 of the train file: field 'messages' has no 'content' in turn 2",
    ),
    (  # a key people write instead of 'content' is named, with its value
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Chatbot", "message": "sure thing"}]},
        "row 2 of the train file: field 'messages' has no 'content' in turn 2; it has 'message' "
        "('sure thing') instead: Cohere's turns name it 'content'",
    ),
    (  # ShareGPT's turns: 'from' and 'value'
        "chat-finetune-input",
        1,
        {"messages": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
        "row 2 of the train file: field 'messages' has no 'role' in turn 1; it has 'from' "
        "('human') instead: Cohere's turns name it 'role'",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Chatbot", "content": 5}]},
        "row 2 of the train file: field 'messages' turn 2 has a content that is a number, not a string",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], "hello"]},
        "row 2 of the train file: field 'messages' turn 2 must be an object, got a string",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": []},
        "row 2 of the train file: field 'messages' must have at least one item",
    ),
]


def test_keys_read_beside_role_and_content_are_not_kept_nor_typed():
    rows = valid_rows("chat-finetune-input")
    rows[0] = {
        "messages": [
            {"role": "User", "content": "hi", "text": 5, "message": "also here"},
            {"role": "Chatbot", "content": "yo", "from": ["not", "a", "string"]},
        ]
    }
    for chunk_bytes in (1 << 30, 300):
        verdict, kept = validate(
            "chat-finetune-input", {"train": ("jsonl", jsonl(rows))}, chunk_bytes=chunk_bytes
        )
        assert verdict.status == "validated", verdict.error
        turns = [turn for row in all_kept(kept) for turn in row["messages"]]
        assert all(set(turn) == {"role", "content"} for turn in turns)
        assert {"role": "User", "content": "hi"} in turns


@pytest.mark.parametrize(("dataset_type", "index", "replacement", "error"), BROKEN_ROWS)
def test_each_rule_broken_once(dataset_type, index, replacement, error):
    rows = valid_rows(dataset_type)
    extra = valid_rows(dataset_type, 1, prefix="extra ")  # keeps the counts met when dropped
    rows[index] = replacement
    data = {"train": ("jsonl", jsonl(rows + extra))}
    failed, _ = validate(dataset_type, data)
    assert (failed.status, failed.error, failed.warnings) == ("failed", error, [])
    skipped, kept = validate(dataset_type, data, skip=True)
    assert skipped.status == "validated", skipped
    assert data_warnings(skipped) == [f"{error} (row dropped)"]
    rows_kept = all_kept(kept)
    assert replacement not in rows_kept and len(rows_kept) == len(rows)


@pytest.mark.parametrize(
    ("dataset_type", "rows", "error"),
    [
        (
            "prompt-completion-finetune-input",
            valid_rows("prompt-completion-finetune-input", 31),
            "the train file has 31 valid examples; prompt-completion-finetune-input needs at least 32",
        ),
        (
            "single-label-classification-finetune-input",
            valid_rows("single-label-classification-finetune-input", 39),
            "the train file has 39 valid examples; single-label-classification-finetune-input needs at least 40",
        ),
        (
            "single-label-classification-finetune-input",
            [{"text": f"t{i}", "label": "a" if i else "b"} for i in range(45)],
            "the train file has 1 distinct label with at least 5 examples ('a'); "
            "single-label-classification-finetune-input needs at least 2",
        ),
        (
            "single-label-classification-finetune-input",
            [{"text": f"t{i}", "label": "a"} for i in range(45)],
            "the train file has 1 distinct label ('a'); single-label-classification-finetune-input needs at least 2",
        ),
        (
            "multi-label-classification-finetune-input",
            [{"text": f"t{i}", "label": ["a", "bc"[i % 2]]} for i in range(45)],
            "label 'a' is in every example of the train file; a label can't be in all of them",
        ),
        (
            "reranker-finetune-input",
            valid_rows("reranker-finetune-input", 255),
            "the train file has 255 distinct 'query' values; "
            "reranker-finetune-input needs at least 256",
        ),
        (
            "reranker-finetune-input",
            [
                {**row, "query": f"q{i % 10}"}
                for i, row in enumerate(valid_rows("reranker-finetune-input", 256))
            ],
            "the train file has 10 distinct 'query' values; "
            "reranker-finetune-input needs at least 256",
        ),
        (
            "chat-finetune-input",
            valid_rows("chat-finetune-input", 1),
            "the train file has 1 valid example; chat-finetune-input needs at least 2",
        ),
    ],
)
def test_dataset_rules(dataset_type, rows, error):
    verdict, _ = validate(dataset_type, {"train": ("jsonl", jsonl(rows))})
    assert verdict.status == "failed" and verdict.error == error


def test_duplicates_are_dropped_before_counting_unique_examples():
    rows = valid_rows("prompt-completion-finetune-input", 31)
    verdict, kept = validate(
        "prompt-completion-finetune-input", {"train": ("jsonl", jsonl(rows + rows[:5]))}
    )
    assert verdict.error.startswith("the train file has 31 valid examples")
    assert verdict.warnings == [
        "5 exact duplicate rows were dropped from the train file (the first at row 32)"
    ]
    assert len(kept["train"]) == 31


@pytest.mark.parametrize(
    ("dataset_type", "train", "eval_rows", "error"),
    [
        ("prompt-completion-finetune-input", 16, 1, None),
        (
            "prompt-completion-finetune-input",
            15,
            1,
            "the train file has 15 valid examples; prompt-completion-finetune-input needs at least 16",
        ),
        ("single-label-classification-finetune-input", 45, 24, None),
        (
            "single-label-classification-finetune-input",
            45,
            23,
            "the eval file has 23 valid examples; single-label-classification-finetune-input needs at least 24",
        ),
        (
            "reranker-finetune-input",
            260,
            63,
            "the eval file has 63 distinct 'query' values; reranker-finetune-input needs at least 64",
        ),
        ("chat-finetune-input", 2, 1, None),
    ],
)
def test_eval_data_rules(dataset_type, train, eval_rows, error):
    files = {
        "train": ("jsonl", jsonl(valid_rows(dataset_type, train))),
        "eval": ("jsonl", jsonl(valid_rows(dataset_type, eval_rows, prefix="eval "))),
    }
    verdict, _ = validate(dataset_type, files)
    assert verdict.error == error


def test_a_broken_eval_row_names_the_eval_file():
    files = {
        "train": ("jsonl", jsonl(valid_rows("chat-finetune-input"))),
        "eval": ("jsonl", jsonl([{"messages": [MSG[1]]}])),
    }
    verdict, _ = validate("chat-finetune-input", files)
    assert (
        verdict.error == "row 1 of the eval file: field 'messages' needs at least one Chatbot turn"
    )


def _messy_rows() -> list[dict]:
    rows = valid_rows("single-label-classification-finetune-input", 60)
    rows[7] = {"text": "", "label": "a"}
    rows[20] = {"text": "t", "label": 3}
    rows[33] = rows[2]
    rows[50] = {"label": "b"}
    return rows


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=400), st.booleans(), st.sampled_from(["jsonl", "csv"]))
def test_verdict_is_the_same_whatever_the_chunk_size(chunk_bytes, skip, fmt):
    rows = _messy_rows()
    data = (
        jsonl(rows)
        if fmt == "jsonl"
        else as_csv([{"text": r.get("text", ""), "label": r["label"]} for r in rows])
    )
    whole = validate(
        "single-label-classification-finetune-input", {"train": (fmt, data)}, skip=skip
    )
    chunked = validate(
        "single-label-classification-finetune-input", {"train": (fmt, data)}, chunk_bytes, skip
    )
    assert chunked == whole


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=600),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=6),
)
def test_unique_ids_are_judged_the_same_whatever_the_chunk_size(chunk_bytes, skip, clashes):
    """custom_id clashes between rows that land in different chunks are found at every chunk
    size, with the same findings and the same rows kept."""
    rows = valid_rows("batch-embed-v2-input", 40)
    for source, target in clashes:
        rows[target] = {**rows[target], "custom_id": rows[source]["custom_id"]}
    data = {"train": ("jsonl", jsonl(rows))}
    whole = validate("batch-embed-v2-input", data, skip=skip)
    assert validate("batch-embed-v2-input", data, chunk_bytes, skip) == whole
    ids = [row["custom_id"] for row in rows]
    if len(set(ids)) < len(ids):
        first_clash = next(i for i, v in enumerate(ids) if v in ids[:i])
        expected = f"row {first_clash + 1} of the train file: field 'custom_id' has the same value"
        message = whole[0].warnings[0] if skip else whole[0].error
        assert message.startswith(expected)
    if skip:
        assert [row["custom_id"] for row in whole[1]["train"]] == list(dict.fromkeys(ids))


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=900), st.sampled_from(["jsonl", "csv"]))
def test_labels_split_and_leaks_are_the_same_whatever_the_chunk_size(chunk_bytes, fmt):
    """A rare label removed, eval rows copied from train named, at every chunk size."""
    dataset_type = "single-label-classification-finetune-input"
    rows = valid_rows(dataset_type, 60)
    rows[10:13] = [{"text": f"rare {i}", "label": "z"} for i in range(3)]
    evaluation = valid_rows(dataset_type, 30, prefix="eval ")
    evaluation[4], evaluation[17] = rows[0], rows[40]
    pack = jsonl if fmt == "jsonl" else as_csv
    files = {"train": (fmt, pack(rows)), "eval": (fmt, pack(evaluation))}
    whole = validate(dataset_type, files, outcome=True)
    chunked = validate(dataset_type, files, chunk_bytes, outcome=True)
    assert chunked == whole
    verdict = whole[0].verdict
    assert verdict.status == "validated"
    assert verdict.warnings == [
        "label 'z' has 3 examples in the train file, fewer than 5: it was removed "
        "(its examples were dropped), as Cohere does",
        "2 rows of the eval file also appear in the train file (eval rows 5, 18): "
        "evaluating on training data overstates quality",
    ]
    assert all(row["label"] != "z" for row in whole[1]["train"])
    assert whole[0].examples == {"train": 57, "eval": 30}
    assert sorted(whole[0].tallies["train"].states["label|rules"]["labels"]) == ["a", "b", "c"]


def test_tallies_count_labels_per_example_and_sum_totals():
    import polars as pl

    from validators.aggregates import tally
    from validators.registry import spec_for

    labels = pl.DataFrame({"text": ["a", "b", "c"], "label": [["x", "x", "y"], ["x"], []]})
    states = tally(spec_for("multi-label-classification-finetune-input"), labels).states
    assert states["label|rules"]["labels"] == {"x": 2, "y": 1}
    reranker = pl.DataFrame(
        {
            "query": ["q", "r"],
            "relevant_passages": [["a", "b"], ["c"]],
            "hard_negatives": [["n"], None],
        }
    )
    totals = tally(spec_for("reranker-finetune-input"), reranker).totals
    assert totals == {"queries": 2, "relevant_passages": 3, "hard_negatives": 1}


def test_file_wide_comparisons_bucket_by_bucket_match_one_pass(monkeypatch):
    """Duplicates, custom_id clashes and distinct counts found in 4 buckets = in one pass."""
    import polars as pl

    import validators.settle as settle
    from validators.parsing import ROW
    from validators.report import FileReport
    from validators.rules import ExactDuplicates, Settling, UniqueValues
    from validators.rules.unique import distinct_values

    spec = spec_for("batch-embed-v2-input")
    ids = [f"id{i % 53}" for i in range(300)]  # clashes spread over chunks
    texts = [f"t{i % 106}" for i in range(300)]  # exact duplicates: (id, text) repeats
    frames = [
        settle.row_hashes(
            spec,
            pl.DataFrame(
                {
                    ROW: pl.Series(range(1, 101), dtype=pl.UInt32),
                    "custom_id": ids[c * 100 : (c + 1) * 100],
                    "body": texts[c * 100 : (c + 1) * 100],
                }
            ),
        )
        for c in range(3)
    ]
    rules = (ExactDuplicates(), UniqueValues("custom_id"))

    def settled():
        hashes = settle.FileHashes(lambda c: frames[c], [0, 100, 200], 300, spec.key_fields)
        file = Settling(FileReport("train"), hashes, drop_clashes=True)
        for rule in rules:
            rule.settle(file)
        return file.drops, file.findings, file.report.results, distinct_values(file, "custom_id")

    whole = settled()
    monkeypatch.setattr(settle, "ROWS_PER_PASS", 80)  # 4 buckets
    assert settled() == whole
    drops, clashes, results, distinct = whole
    assert results["row|duplicate"].count == 300 - 106
    assert distinct == 53
    assert 300 - sum(len(d) for d in drops) == 53  # one row per custom_id stays
    assert len(clashes) == 106 - 53
    first = clashes[0]
    assert (first.row, first.field, first.rule) == (54, "custom_id", "custom_id|unique")
    assert "same value as row 1;" in first.reason


@pytest.mark.parametrize(("dataset_type", "broken", "error"), NESTED_BROKEN_ROWS)
@pytest.mark.parametrize("chunk_bytes", [1 << 30, 150])
def test_each_nested_rule_broken_once(dataset_type, broken, error, chunk_bytes):
    """Named by field path; the same at any chunk size (a custom_id clash across chunks too);
    skip_malformed_input drops exactly that row."""
    rows = valid_rows(dataset_type)
    rows[2] = broken
    data = {"train": ("jsonl", jsonl(rows))}
    failed, _ = validate(dataset_type, data, chunk_bytes)
    assert (failed.status, failed.error, failed.warnings) == ("failed", ROW + error, [])
    skipped, kept = validate(dataset_type, data, chunk_bytes, skip=True)
    assert (skipped.status, skipped.warnings) == ("validated", [f"{ROW}{error} (row dropped)"])
    assert kept["train"] == as_stored(dataset_type, rows[:2] + rows[3:])


@pytest.mark.parametrize("dataset_type", supported_types())
def test_kept_fields_work_for_every_type(dataset_type):
    """keep_fields must be in every row (a row without it is named); optional_fields are kept
    where present, nested values included."""
    rows = [
        {**row, "note": {"n": i}, "tag": f"t{i}"} for i, row in enumerate(valid_rows(dataset_type))
    ]
    del rows[1]["tag"]
    data = {"train": ("jsonl", jsonl(rows))}
    verdict, kept = validate(dataset_type, data, keep=("note",), optional=("tag",))
    assert verdict.status == "validated", verdict
    by_id = {json.dumps(row["note"]): row for row in all_kept(kept)}
    assert by_id[json.dumps({"n": 1})]["tag"] is None
    assert by_id[json.dumps({"n": 2})]["tag"] == "t2"
    del rows[3]["note"]
    failed, _ = validate(dataset_type, {"train": ("jsonl", jsonl(rows))}, keep=("note",))
    assert failed.error == "row 4 of the train file: field 'note' is missing"
