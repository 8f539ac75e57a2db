"""batch-openai-chat-input: OpenAI's batch request line for chat completions.

`custom_id` (unique), `method` POST, `url` /v1/chat/completions and a chat completions `body`.
OpenAI adds body parameters often, so other body keys are allowed; the documented ones are
type- and range-checked."""

import polars as pl

from validators.shapes import AnyJson, Bool, Either, Int, ListOf, MapOf, Num, Obj, Str, Tagged
from validators.spec import Field, JsonTexts, RowRule, not_empty, present
from validators.types.batch_rows import IMAGE_URL_BLOCK, batch_spec

URL = "/v1/chat/completions"
AUDIO = ("wav", "mp3")
_PARTS = Tagged(
    "type",
    {
        "text": Obj({"text": Str()}),
        "image_url": IMAGE_URL_BLOCK,
        "input_audio": Obj(
            {"input_audio": Obj({"data": Str(non_blank=True), "format": Str(choices=AUDIO)})}
        ),
        "file": Obj({"file": Obj({}, {"file_data": Str(), "file_id": Str(), "filename": Str()})}),
        "refusal": Obj({"refusal": Str()}),
    },
)
_CONTENT = Either((Str(), ListOf(_PARTS, 1)))
_SAID = Obj({"content": _CONTENT}, {"name": Str()})
_TOOL_CALL = Obj(
    {"id": Str(non_blank=True), "function": Obj({"name": Str(non_blank=True), "arguments": Str()})},
    {"type": Str(choices=("function",))},
)
MESSAGE = Tagged(
    "role",
    {
        "user": _SAID,
        "system": _SAID,
        "developer": _SAID,
        "assistant": Obj(
            {},
            {
                "content": _CONTENT,
                "name": Str(),
                "tool_calls": ListOf(_TOOL_CALL, 1),
                "refusal": Str(),
                "audio": MapOf(AnyJson()),
                "function_call": MapOf(AnyJson()),
            },
            one_of_keys=("content", "tool_calls", "function_call"),
        ),
        "tool": Obj({"tool_call_id": Str(non_blank=True), "content": _CONTENT}),
    },
)
BODY = Obj(
    required={"messages": ListOf(MESSAGE, 1)},
    optional={
        "model": Str(non_blank=True),
        "temperature": Num(0, 2),
        "top_p": Num(0, 1),
        "max_tokens": Int(1),
        "max_completion_tokens": Int(1),
        "n": Int(1),
        "stop": Either((Str(), ListOf(Str(), 0, 4))),
        "seed": Int(),
        "frequency_penalty": Num(-2, 2),
        "presence_penalty": Num(-2, 2),
        "logprobs": Bool(),
        "top_logprobs": Int(0, 20),
        "tools": ListOf(MapOf(AnyJson())),
        "response_format": MapOf(AnyJson()),
        "user": Str(),
    },
    open=True,
)


def _equals(value: str):  # noqa: ANN202 - a RowRule check
    return lambda field: pl.col(field).is_null() | (pl.col(field) == value)


SPEC = batch_spec(
    "batch-openai-chat-input",
    f"OpenAI batch lines: a unique `custom_id`, `method` POST, `url` {URL}, a `body`.",
    BODY,
    fields=(Field("method"), Field("url")),
    row_rules=(
        present("method"),
        RowRule("method|post", "method", "must be 'POST'", _equals("POST")),
        present("url"),
        not_empty("url"),
        RowRule("url|chat_completions", "url", f"must be '{URL}'", _equals(URL)),
    ),
    example_row=lambda i, prefix: {
        "custom_id": f"{prefix}request-{i}",
        "method": "POST",
        "url": URL,
        "body": {"messages": [{"role": "user", "content": f"Hello {i}"}]},
    },
    tokens=JsonTexts("body", ("messages[].content", "messages[].content[].text")),
)
