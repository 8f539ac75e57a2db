"""Every dataset type: a valid file passes; each rule broken once fails naming row and field;
skip_malformed_input drops the row with a warning; eval rules; CSV = JSONL; any chunk size
gives the same verdict."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.validators.simulate import as_csv, jsonl, validate
from validators.registry import supported_types

MSG = [
    {"role": "System", "content": "be nice"},
    {"role": "User", "content": "hi"},
    {"role": "Chatbot", "content": "hello"},
]


def valid_rows(dataset_type: str, count: int | None = None, prefix: str = "") -> list[dict]:
    makers = {
        "embed-input": (5, lambda i: {"text": f"{prefix}text {i}"}),
        "prompt-completion-finetune-input": (
            34,
            lambda i: {"prompt": f"{prefix}prompt {i}", "completion": f"completion {i}"},
        ),
        "single-label-classification-finetune-input": (
            45,
            lambda i: {"text": f"{prefix}text {i}", "label": "abc"[i % 3]},
        ),
        "multi-label-classification-finetune-input": (
            45,
            lambda i: {"text": f"{prefix}text {i}", "label": [["a"], ["b", "c"], []][i % 3]},
        ),
        "reranker-finetune-input": (
            260,
            lambda i: {
                "query": f"{prefix}q {i}",
                "relevant_passages": [f"r {i}"],
                "hard_negatives": [f"n {i}"],
            },
        ),
        "chat-finetune-input": (
            3,
            lambda i: {"messages": [*MSG[:2], {"role": "Chatbot", "content": f"{prefix}{i}"}]},
        ),
    }
    default, make = makers[dataset_type]
    return [make(i) for i in range(count or default)]


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
    assert (verdict.status, verdict.error, verdict.warnings) == ("validated", None, [])
    assert kept["train"] == rows


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
        "row 2 of the train file: field 'messages' has a System turn that is not the first turn",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Bot", "content": "x"}, MSG[2]]},
        "row 2 of the train file: field 'messages' has a turn whose role is not one of System, User, Chatbot",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Chatbot", "content": ""}]},
        "row 2 of the train file: field 'messages' has a turn with empty content",
    ),
    (
        "chat-finetune-input",
        1,
        {"messages": [MSG[1], {"role": "Chatbot"}]},
        "row 2 of the train file: field 'messages' has a turn with empty content",
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
    assert skipped.warnings == [f"{error} (row dropped)"]
    assert replacement not in kept["train"] and len(kept["train"]) == len(rows)


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
            "label 'b' has 1 example in the train file; each label needs at least 5",
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
            "the train file has 255 valid examples; reranker-finetune-input needs at least 256",
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
            "the eval file has 63 valid examples; reranker-finetune-input needs at least 64",
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


def test_tallies_count_labels_per_example_and_sum_totals():
    import polars as pl

    from validators.aggregates import tally
    from validators.registry import spec_for

    labels = pl.DataFrame({"text": ["a", "b", "c"], "label": [["x", "x", "y"], ["x"], []]})
    assert tally(spec_for("multi-label-classification-finetune-input"), labels).labels == {
        "x": 2,
        "y": 1,
    }
    reranker = pl.DataFrame(
        {
            "query": ["q", "r"],
            "relevant_passages": [["a", "b"], ["c"]],
            "hard_negatives": [["n"], None],
        }
    )
    totals = tally(spec_for("reranker-finetune-input"), reranker).totals
    assert totals == {"queries": 2, "relevant_passages": 3, "hard_negatives": 1}


def test_duplicates_searched_bucket_by_bucket_match_one_pass():
    import polars as pl

    from validators.aggregates import row_hashes
    from validators.duplicates import find_duplicates, in_bucket
    from validators.parsing import ROW

    texts = [f"t{i % 37}" for i in range(300)]  # many repeats, spread over chunks
    frames = [
        row_hashes(pl.DataFrame({ROW: list(range(1, 101)), "text": texts[c * 100 : (c + 1) * 100]}))
        for c in range(3)
    ]
    offsets = [0, 100, 200]
    whole = find_duplicates([in_bucket(f, 1, 0) for f in frames], offsets)
    merged = [set() for _ in frames]
    firsts = []
    for bucket in range(4):
        for index, found in enumerate(
            find_duplicates([in_bucket(f, 4, bucket) for f in frames], offsets)
        ):
            merged[index].update(found.positions)
            firsts += [found.first_row] if found.first_row else []
    assert [set(f.positions) for f in whole] == merged
    assert min(firsts) == min(f.first_row for f in whole if f.first_row) == 38
    assert sum(len(m) for m in merged) == 300 - 37
