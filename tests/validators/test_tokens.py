"""Token counts: the fast word cut equals the tokenizer's own count, text by text; the facts and
rules built on them (Cohere's chat limits, trainable_token_count, the profile's statistics)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from tests.validators.simulate import jsonl, validate
from validators.registry import spec_for
from validators.report import merge
from validators.rules.tokens import TokenCounts
from validators.tokens.counter import TokenCounter, default_tokenizer_file, token_counter
from validators.tokens.sources import OVER_LIMIT, TOKENS, TokenOptions, with_token_facts

DEFAULT = token_counter("")
RAW = Tokenizer.from_file(str(default_tokenizer_file()[0]))


def _exact(tokenizer: Tokenizer, texts: list[str]) -> list[int]:
    return [len(tokenizer.encode(text, add_special_tokens=False).ids) for text in texts]


def _variant(change: dict) -> Tokenizer:
    """The default tokenizer.json with parts of its pipeline replaced."""
    config = json.loads(RAW.to_str())
    config.update(change)
    return Tokenizer.from_str(json.dumps(config))


# Text as people write it and as it breaks tokenizers: runs of blanks of every kind before
# words, digits and punctuation, contractions, compatibility characters NFKC rewrites,
# combining marks, other scripts, emoji, the added tokens.
_PIECES = st.sampled_from(
    [" ", "  ", "   ", "\n", "\n\n", "\t", " \n ", "\u00a0", "\u3000", "\r\n", "\u2028"]
    + ["word", "Word", "it's", "'s", "'ll", "'S", "don't", "x'", "''", "'"]
    + ["123", "4", "٣", "½", "①", "ﬁ", "Ⅻ", "é", "e\u0301", "中文", "字", "🎉", "👍🏽"]
    + ["!", "?!", "...", "--", "«", "»", "(", ")", "<EOT>", "<META>", "a<SOS>b", "\u200b"]
)
TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=6)).map(str), max_size=14).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=8))
@example(["\U0001e030"])  # Unicode 15: polars' NFKC rewrites it, the tokenizer's does not
@example(["x\U0001e030y  z", "plain ascii  text"])
def test_the_word_cut_counts_what_the_tokenizer_counts(texts):
    assert DEFAULT.count(pl.Series(texts)).to_list() == _exact(RAW, texts)


_DIGITS = {
    "type": "Sequence",
    "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    ],
}
COMMAND_LIKE = _variant({"pre_tokenizer": _DIGITS, "normalizer": {"type": "NFC"}})
COMMAND_LIKE_COUNTER = TokenCounter(COMMAND_LIKE, "digits")


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=8))
def test_digits_one_by_one_and_nfc_as_command_models_cut_them(texts):
    assert COMMAND_LIKE_COUNTER._cutter is not None  # the word cut, not the fallback
    counted = COMMAND_LIKE_COUNTER.count(pl.Series(texts)).to_list()
    assert counted == _exact(COMMAND_LIKE, texts)


def test_a_tokenizer_of_another_kind_is_counted_by_the_tokenizer_itself():
    tokenizer = _variant({"pre_tokenizer": {"type": "Whitespace"}})
    counter = TokenCounter(tokenizer, "whitespace")
    texts = ["hello  world", "it's 12 o'clock", "", "中文 🎉"]
    assert counter._cutter is None
    assert counter.count(pl.Series(texts)).to_list() == _exact(tokenizer, texts)


def test_a_null_text_has_no_tokens_and_every_text_keeps_its_place():
    texts = pl.Series(["one two", None, "<EOT> three", "four"])
    assert DEFAULT.count(texts).to_list() == [
        *_exact(RAW, ["one two"]),
        0,
        *_exact(RAW, ["<EOT> three", "four"]),
    ]


def _chat(turns: list[tuple[str, str]]) -> dict:
    return {"messages": [{"role": role, "content": content} for role, content in turns]}


def _facts(rows: list[dict], options: TokenOptions) -> pl.DataFrame:
    frame = pl.DataFrame(rows)
    return with_token_facts(spec_for("chat-finetune-input").tokens, frame, options)


def test_a_turn_or_a_preamble_over_its_limit_is_named_with_its_count():
    long = "one two three four five six seven eight nine ten"
    preamble = "be kind and brief"
    (long_tokens,), (preamble_tokens,) = _exact(RAW, [long]), _exact(RAW, [preamble])
    options = TokenOptions(max_turn_tokens=long_tokens - 1, max_preamble_tokens=preamble_tokens - 1)
    facts = _facts(
        [
            _chat([("User", "hi"), ("Chatbot", long)]),
            _chat([("System", preamble), ("User", "hi"), ("Chatbot", "yo")]),
            _chat([("User", preamble), ("Chatbot", "short")]),  # not a preamble: in bounds
        ],
        options,
    )
    assert facts[OVER_LIMIT].to_list() == [
        f"turn 2 has {long_tokens} tokens, over the limit of {long_tokens - 1} a turn",
        f"the System preamble (turn 1) has {preamble_tokens} tokens, over the limit of "
        f"{preamble_tokens - 1}",
        None,
    ]
    assert facts[TOKENS].to_list() == [
        sum(_exact(RAW, ["hi", long])),
        sum(_exact(RAW, [preamble, "hi", "yo"])),
        sum(_exact(RAW, [preamble, "short"])),
    ]


def _conversations(count: int) -> list[dict]:
    return [
        _chat([("System", "You are kind."), ("User", f"question {i}"), ("Chatbot", f"answer {i}")])
        for i in range(count)
    ]


@pytest.mark.parametrize("chunk_bytes", [1 << 30, 600])
def test_trainable_tokens_are_the_train_rows_tokens_after_the_split(chunk_bytes):
    rows = _conversations(40)
    rows.append(rows[3])  # a duplicate leaves, with its tokens
    outcome, kept = validate(
        "chat-finetune-input",
        {"train": ("jsonl", jsonl(rows))},
        chunk_bytes=chunk_bytes,
        outcome=True,
    )
    assert outcome.verdict.status == "validated"
    state = outcome.tallies["train"].states["tokens"]
    texts = [turn["content"] for row in kept["train"] for turn in row["messages"]]
    assert state["total"] == sum(_exact(RAW, texts))
    assert state["count"] == len(kept["train"])
    assert TokenCounts().metrics(state)["trainable_token_count"] == state["total"]
    assert TokenCounts().metrics(state)["tokenizer"].startswith("claude")


def test_a_conversation_over_a_limit_is_dropped_with_a_warning_naming_its_row():
    rows = _conversations(10)
    rows[4] = _chat([("User", "hi"), ("Chatbot", "word " * 40)])
    options = TokenOptions(max_turn_tokens=30)
    verdict, kept = validate(
        "chat-finetune-input", {"train": ("jsonl", jsonl(rows))}, tokens=options
    )
    assert verdict.status == "validated"
    tokens = _exact(RAW, ["word " * 40])[0]
    assert (
        "1 conversation over Cohere's token limits was dropped from the train file (the "
        f"first: row 5: turn 2 has {tokens} tokens, over the limit of 30 a turn)"
    ) in verdict.warnings
    kept_rows = kept["train"] + kept.get("eval", [])
    assert len(kept_rows) == 9 and rows[4] not in kept_rows


def test_the_profile_gives_each_files_tokens_per_row():
    spec = spec_for("prompt-completion-finetune-input")
    texts = [("say " * (i % 7 + 1), "done") for i in range(50)]
    frame = pl.DataFrame({"prompt": [p for p, _ in texts], "completion": [c for _, c in texts]})
    facts = with_token_facts(spec.tokens, frame, TokenOptions())
    rule = TokenCounts()
    report = merge(spec, "train", [])
    report.tally.states["tokens"] = rule.merge(
        rule.tally(facts.head(20)), rule.tally(facts.tail(30))
    )
    per_row = [sum(_exact(RAW, [p, c])) for p, c in texts]
    profile = rule.profile(report)["tokens"]
    assert profile["total"] == sum(per_row)
    assert (profile["min"], profile["max"]) == (min(per_row), max(per_row))
    assert profile["p50"] == sorted(per_row)[24]
    assert sum(b["count"] for b in profile["histogram"]) == 50


def test_a_batch_counts_the_texts_inside_its_bodies():
    rows = [
        {"custom_id": "a", "body": {"messages": [{"role": "user", "content": "hello there"}]}},
        {
            "custom_id": "b",
            "body": {
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": [{"type": "text", "text": "what is 2+2"}]},
                ]
            },
        },
    ]
    outcome, _ = validate("batch-chat-v2-input", {"train": ("jsonl", jsonl(rows))}, outcome=True)
    state = outcome.tallies["train"].states["tokens"]
    assert state["total"] == sum(_exact(RAW, ["hello there", "be brief", "what is 2+2"]))
    assert TokenCounts("input_token_count").metrics(state)["input_token_count"] == state["total"]


def test_a_word_longer_than_a_slice_is_counted_slice_by_slice_within_a_token_a_slice():
    from validators.tokens.counter import MAX_WORD_CHARS

    blob = "QUJD" * (MAX_WORD_CHARS * 3)  # base64: one word of 12 slices
    counted = DEFAULT.count(pl.Series([blob, "and then"])).to_list()
    exact = _exact(RAW, [blob, "and then"])
    assert counted[1] == exact[1]
    assert abs(counted[0] - exact[0]) <= len(blob) // MAX_WORD_CHARS
