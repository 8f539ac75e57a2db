"""Other formats for the same job (validators/conversions): recognised in an upload, converted
to rows the Cohere type validates, saying what could not be carried over."""

from __future__ import annotations

import json

import pytest

from tests.validators.simulate import jsonl, validate
from validators.conversions import CONVERSIONS, recognised

CONVERT = {(c.source, c.target): c for c in CONVERSIONS}


def _openai_chat(count: int) -> list[dict]:
    return [
        {
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": f"question {i}"},
                {"role": "assistant", "content": f"answer {i}", "weight": 1},
            ]
        }
        for i in range(count)
    ]


def _converted(source: str, target: str, rows: list[dict]) -> tuple[list[dict], list[list[str]]]:
    pairs = [CONVERT[(source, target)].convert(row) for row in rows]
    return [row for row, _ in pairs], [notes for _, notes in pairs]


def test_openai_chat_fine_tuning_converts_to_rows_cohere_validates():
    rows = _openai_chat(60)
    rows[3]["messages"].append({"role": "assistant", "tool_calls": [{"id": "c"}]})
    rows[4]["messages"][1]["content"] = [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://x"}},
    ]
    converted, notes = _converted("openai-chat-finetune", "chat-finetune-input", rows)
    assert converted[0] == {
        "messages": [
            {"role": "System", "content": "You are terse."},
            {"role": "User", "content": "question 0"},
            {"role": "Chatbot", "content": "answer 0"},
        ]
    }
    assert notes[3] == [
        "'tool_calls' in turn 4 can't be carried over: dropped",
        "turn 4 has no text content (a tool call only?): dropped",
    ]
    assert notes[4] == ["a part of type image_url in turn 2 can't be carried over: dropped"]
    assert converted[4]["messages"][1]["content"] == "look"
    verdict, _ = validate("chat-finetune-input", {"train": ("jsonl", jsonl(converted))})
    assert verdict.status == "validated", verdict.error
    back, _ = _converted("chat-finetune-input", "openai-chat-finetune", converted)
    assert back[0]["messages"][2] == {"role": "assistant", "content": "answer 0"}


def test_openai_batch_lines_convert_to_chat_v2_requests():
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "developer", "content": "be nice"},
                    {"role": "user", "content": [{"type": "text", "text": f"hi {i}"}]},
                ],
                "max_completion_tokens": 100,
                "top_p": 1,
                "stop": "END",
                "n": 1,
            },
        }
        for i in range(5)
    ]
    converted, notes = _converted("openai-batch-chat", "batch-chat-v2-input", lines)
    assert converted[0] == {
        "custom_id": "r0",
        "body": {
            "messages": [
                {"role": "system", "content": "be nice"},
                {"role": "user", "content": [{"type": "text", "text": "hi 0"}]},
            ],
            "max_tokens": 100,
            "p": 0.99,
            "stop_sequences": ["END"],
        },
    }
    assert notes[0] == [
        "'top_p' 1 is outside Cohere's range for 'p': set to 0.99",
        "'n' in body can't be carried over: dropped",
    ]
    verdict, _ = validate("batch-chat-v2-input", {"train": ("jsonl", jsonl(converted))})
    assert verdict.status == "validated", verdict.error


def test_chat_v2_batch_lines_convert_back_to_openai_lines():
    lines = [
        {
            "custom_id": f"r{i}",
            "body": {
                "messages": [
                    {"role": "system", "content": "be nice"},
                    {"role": "user", "content": [{"type": "text", "text": f"hi {i}"}]},
                    {
                        "role": "assistant",
                        "content": [{"type": "thinking", "thinking": "hm"}],
                        "tool_plan": "look it up",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "c1", "content": "42"},
                ],
                "max_tokens": 100,
                "p": 0.5,
                "stop_sequences": ["END"],
                "k": 5,
            },
        }
        for i in range(5)
    ]
    converted, notes = _converted("batch-chat-v2-input", "batch-openai-chat-input", lines)
    assert converted[0] == {
        "custom_id": "r0",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "messages": [
                {"role": "system", "content": "be nice"},
                {"role": "user", "content": [{"type": "text", "text": "hi 0"}]},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "content": "42", "tool_call_id": "c1"},
            ],
            "max_tokens": 100,
            "top_p": 0.5,
            "stop": ["END"],
        },
    }
    assert notes[0] == [
        "content blocks other than text and images in body.messages[2] can't be carried over: dropped",
        "'tool_plan' in body.messages[2] can't be carried over: dropped",
        "'k' in body can't be carried over: dropped",
    ]
    verdict, _ = validate("batch-openai-chat-input", {"train": ("jsonl", jsonl(converted))})
    assert verdict.status == "validated", verdict.error
    back, _ = _converted("openai-batch-chat", "batch-chat-v2-input", converted)
    assert back[0]["body"]["messages"][:2] == lines[0]["body"]["messages"][:2]


def test_cohere_v1_chat_requests_convert_to_v2():
    lines = [
        {
            "custom_id": f"r{i}",
            "body": {
                "message": f"and now {i}?",
                "preamble": "be brief",
                "chat_history": [
                    {"role": "USER", "message": "hi"},
                    {"role": "CHATBOT", "message": "hello"},
                ],
                "temperature": 0.3,
                "connectors": [{"id": "web-search"}],
            },
        }
        for i in range(3)
    ]
    converted, notes = _converted("batch-chat-input", "batch-chat-v2-input", lines)
    assert [m["role"] for m in converted[0]["body"]["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
    ]
    assert notes[0] == ["'connectors' in body can't be carried over: dropped"]
    verdict, _ = validate("batch-chat-v2-input", {"train": ("jsonl", jsonl(converted))})
    assert verdict.status == "validated", verdict.error


def test_a_file_in_another_format_is_told_so_once_with_the_command():
    rows = _openai_chat(300)
    assert recognised("chat-finetune-input", rows).source == "openai-chat-finetune"
    verdict, _ = validate("chat-finetune-input", {"train": ("jsonl", jsonl(rows))}, 4096)
    assert verdict.error == (
        "the train file: looks like OpenAI chat fine-tuning (roles system, user, assistant), "
        "not chat-finetune-input: convert it with `sieve convert FILE --to "
        "chat-finetune-input` (the report lists each row)"
    )
    assert verdict.warnings == ["... and 300 more"]
    assert recognised("chat-finetune-input", [{"messages": [{"role": "User"}]}]) is None


def test_recognising_reads_past_lines_json_can_not():
    from validators.conversions import other_format_finding

    deep = b"[" * 5000 + b"]" * 5000
    lines = [b"not json", deep, b"\xff\xfe", *(jsonl(_openai_chat(5)).splitlines())]
    found = other_format_finding("chat-finetune-input", b"\n".join(lines))
    assert found is not None and found.rule == "file|other_format"
    assert "OpenAI chat fine-tuning" in found.reason


@pytest.mark.parametrize(
    ("data", "layout"),
    [
        (json.dumps([{"text": "a"}, {"text": "b"}]).encode(), "a JSON array"),
        (b"\xef\xbb\xbf  \n" + json.dumps([{"text": "a"}], indent=2).encode(), "a JSON array"),
        (b'{\n  "text": "a"\n}\n{\n  "text": "b"\n}\n', "JSON written over several lines"),
        (b'{"text": "a"}\n{"text": "b"}\n', None),
        (b'[{"text": "a"}]\n[{"text": "b"}]\n', None),  # JSON Lines of arrays: each row says
        (b'["text", "a"]\n', None),  # not rows: the row's finding says it is not an object
        (b"[" * 1000 + b"]" * 1000 + b"\n", None),
        (b'{"text": "a"\n{"text": "b"}\n', None),  # a broken line: its row's finding says so
        (b"text\nhello\n", None),
    ],
    ids=[
        "array",
        "indented-array",
        "pretty-printed",
        "json-lines",
        "lines-of-arrays",
        "array-of-strings",
        "deep-array",
        "broken-line",
        "not-json",
    ],
)
def test_a_file_that_is_one_json_document_is_told_so_once(data, layout):
    verdict, _ = validate("embed-input", {"train": ("jsonl", data)}, 4096)
    if layout is None:
        assert "not JSON Lines" not in (verdict.error or "")
        return
    assert verdict.error.startswith(f"the train file: {layout}") and verdict.error.endswith(
        ", not JSON Lines (one JSON object per line): rewrite it with `sieve convert FILE "
        "--to embed-input` (the report lists each row)"
    )
    assert all(w.startswith("... and") for w in verdict.warnings)
