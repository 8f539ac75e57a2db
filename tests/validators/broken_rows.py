"""Rows that break one rule each, for the types with nested shapes, and the message each must
give (row 3 of the train file). Shared by the in-memory tests and the SDK tests."""

from __future__ import annotations

ROW = "row 3 of the train file: "
_DOC = {"input_type": "search_document", "texts": ["a"]}
_HI = [{"role": "user", "content": "hi"}]


def _chat(**body: object) -> dict:
    return {"custom_id": "x", "body": {"messages": _HI, **body}}


def _openai(**line: object) -> dict:
    return {
        "custom_id": "x",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"messages": _HI},
        **line,
    }


# (type, broken row, expected error)
NESTED_BROKEN_ROWS = [
    (  # a tag that is a list was an internal error (found by tests/validators/test_compiled.py)
        "batch-chat-v2-input",
        _chat(messages=[{"role": []}]),
        """field 'body.messages[0].role' must be one of "user", "system", "assistant", "tool", \
got []""",
    ),
    ("batch-embed-v2-input", {"body": _DOC}, "field 'custom_id' is missing"),
    ("batch-embed-v2-input", {"custom_id": "", "body": _DOC}, "field 'custom_id' is empty"),
    (
        "batch-embed-v2-input",
        {"custom_id": 7, "body": _DOC},
        "field 'custom_id' must be a string, got a number",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "custom_id 0", "body": {**_DOC, "texts": ["other"]}},
        "field 'custom_id' has the same value as row 1; each 'custom_id' must be unique in the file",
    ),
    ("batch-embed-v2-input", {"custom_id": "x"}, "field 'body' is missing"),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": "embed this"},
        "field 'body' must be an object, got a string",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "texts": []}},
        "field 'body.texts' must have 1 to 96 items, has 0",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "texts": ["t"] * 97}},
        "field 'body.texts' must have 1 to 96 items, has 97",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "texts": [" "]}},
        "field 'body.texts[0]' is empty",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "input_type": "query"}},
        'field \'body.input_type\' must be one of "search_document", "search_query", '
        '"classification", "clustering", "image", got "query"',
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {"input_type": "search_document"}},
        "field 'body' needs at least one of 'texts', 'images', 'inputs'",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "model": "embed-v4.0"}},
        "field 'body.model' is set once for the whole batch, not in each request",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {"input_type": "search_document", "texs": ["a"]}},
        "field 'body.texs' is not a known key (known: input_type, texts, images, inputs, "
        "embedding_types, truncate, output_dimension, max_tokens, priority)",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "output_dimension": 0}},
        "field 'body.output_dimension' must be at least 1, got 0",
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "embedding_types": ["float", "int4"]}},
        'field \'body.embedding_types[1]\' must be one of "float", "int8", "uint8", '
        '"binary", "ubinary", "base64", got "int4"',
    ),
    (
        "batch-embed-v2-input",
        {"custom_id": "x", "body": {**_DOC, "truncate": "MIDDLE"}},
        'field \'body.truncate\' must be one of "NONE", "START", "END", got "MIDDLE"',
    ),
    (
        "batch-embed-v2-input",
        {
            "custom_id": "x",
            "body": {
                "input_type": "image",
                "inputs": [{"content": [{"type": "image_url", "image_url": {}}]}],
            },
        },
        "field 'body.inputs[0].content[0].image_url.url' is missing",
    ),
    (
        "batch-chat-v2-input",
        {"custom_id": "x", "body": {"messages": []}},
        "field 'body.messages' must have at least 1 item, has 0",
    ),
    (
        "batch-chat-v2-input",
        {"custom_id": "x", "body": {"messages": [{"role": "bot", "content": "hi"}]}},
        'field \'body.messages[0].role\' must be one of "user", "system", "assistant", '
        '"tool", got "bot"',
    ),
    (
        "batch-chat-v2-input",
        {"custom_id": "x", "body": {"messages": [*_HI, {"role": "tool", "content": "42"}]}},
        "field 'body.messages[1].tool_call_id' is missing",
    ),
    (
        "batch-chat-v2-input",
        {"custom_id": "x", "body": {"messages": [{"role": "user", "content": 5}]}},
        "field 'body.messages[0].content' must be a string or a list, got a number",
    ),
    (
        "batch-chat-v2-input",
        {
            "custom_id": "x",
            "body": {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
        },
        "field 'body.messages[0].content[0].image_url' is missing",
    ),
    (
        "batch-chat-v2-input",
        {"custom_id": "x", "body": {"messages": [{"role": "assistant"}]}},
        "field 'body.messages[0]' needs at least one of 'content', 'tool_calls'",
    ),
    (
        "batch-chat-v2-input",
        _chat(temperature=-1),
        "field 'body.temperature' must be at least 0, got -1",
    ),
    ("batch-chat-v2-input", _chat(p=1.5), "field 'body.p' must be between 0.01 and 0.99, got 1.5"),
    (
        "batch-chat-v2-input",
        _chat(max_tokens=2.5),
        "field 'body.max_tokens' must be an integer, got 2.5",
    ),
    (
        "batch-chat-v2-input",
        _chat(stream=True),
        "field 'body.stream' can't be used in a batch: its results are written to a dataset",
    ),
    ("batch-openai-chat-input", _openai(method="GET"), "field 'method' must be 'POST'"),
    (
        "batch-openai-chat-input",
        _openai(url="/v1/embeddings"),
        "field 'url' must be '/v1/chat/completions'",
    ),
    (
        "batch-openai-chat-input",
        _openai(body={"messages": [{"role": "bot", "content": "hi"}]}),
        'field \'body.messages[0].role\' must be one of "user", "system", "developer", '
        '"assistant", "tool", got "bot"',
    ),
    (
        "batch-openai-chat-input",
        _openai(body={"messages": _HI, "temperature": 3}),
        "field 'body.temperature' must be between 0 and 2, got 3",
    ),
    (
        "batch-openai-chat-input",
        _openai(custom_id="request-0"),
        "field 'custom_id' has the same value as row 1; each 'custom_id' must be unique in the file",
    ),
    (
        "batch-chat-input",
        {"custom_id": "x", "body": {"chat_history": [{"role": "USER", "message": "hi"}]}},
        "field 'body.message' is missing",
    ),
    (
        "batch-chat-input",
        {
            "custom_id": "x",
            "body": {"message": "hi", "chat_history": [{"role": "user", "message": "hi"}]},
        },
        'field \'body.chat_history[0].role\' must be one of "USER", "CHATBOT", "SYSTEM", '
        '"TOOL", got "user"',
    ),
    (
        "batch-chat-input",
        {"custom_id": "x", "body": {"message": "hi", "preamble": 5}},
        "field 'body.preamble' must be a string, got a number",
    ),
    ("embed-result", {"embeddings": {"float": [1.0]}}, "field 'text' is missing"),
    (
        "embed-result",
        {"text": "t", "embeddings": {}},
        "field 'embeddings' must have at least 1 key",
    ),
    (
        "embed-result",
        {"text": "t", "embeddings": {"float": ["a"]}},
        "field 'embeddings.float[0]' must be a number, got a string",
    ),
    (
        "embed-result",
        {"text": "t", "embeddings": {"floats": [1.0]}},
        "field 'embeddings.floats' is not a known key "
        "(known: float, int8, uint8, binary, ubinary, base64)",
    ),
    ("cluster-result", {"description": "d"}, "field 'id' is missing"),
    ("cluster-result", {"id": "c", "size": -1}, "field 'size' must not be negative"),
    ("cluster-result", {"id": "c", "size": "3"}, "field 'size' must be an integer, got a string"),
    (
        "cluster-result",
        {"id": "c", "keywords": "a"},
        "field 'keywords' must be a list, got a string",
    ),
    ("cluster-outliers", {"other": "t"}, "field 'text' is missing"),
    ("cluster-outliers", {"text": 5}, "field 'text' must be a string, got a number"),
]
