"""batch-chat-v2-input: one Chat v2 request per row, under `body`, without `model`.

Messages, content blocks and parameters as in Cohere's Chat v2 API reference (the cohere SDK
5's `ChatMessageV2`, `Content`, `ToolV2` types); ranges as documented there."""

from validators.shapes import AnyJson, Bool, Either, Int, ListOf, MapOf, Num, Obj, Str, Tagged
from validators.spec import JsonTexts
from validators.types.batch_rows import (
    COHERE_REFUSED,
    IMAGE_URL_BLOCK,
    batch_spec,
)

_TEXT = Obj({"text": Str()})
_DOCUMENT = Obj({"data": MapOf(AnyJson())}, {"id": Str()})
_IMAGE = Obj(
    {
        "image_url": Obj(
            {"url": Str(non_blank=True)}, {"detail": Str(choices=("auto", "low", "high"))}
        )
    }
)


def _content(**blocks: Obj) -> Either:
    """A message's content: a string, or a list of typed blocks."""
    return Either((Str(), ListOf(Tagged("type", blocks), 1)))


_TOOL_CALL = Obj(
    {"id": Str(non_blank=True)},
    {"type": Str(choices=("function",)), "function": Obj({}, {"name": Str(), "arguments": Str()})},
)
MESSAGE = Tagged(
    "role",
    {
        "user": Obj({"content": _content(text=_TEXT, image_url=IMAGE_URL_BLOCK)}),
        "system": Obj({"content": _content(text=_TEXT)}),
        "assistant": Obj(
            {},
            {
                "content": _content(text=_TEXT, thinking=Obj({"thinking": Str()})),
                "tool_calls": ListOf(_TOOL_CALL, 1),
                "tool_plan": Str(),
                "citations": ListOf(AnyJson()),
            },
            one_of_keys=("content", "tool_calls"),
        ),
        "tool": Obj(
            {
                "tool_call_id": Str(non_blank=True),
                "content": _content(text=_TEXT, document=Obj({"document": _DOCUMENT})),
            }
        ),
    },
)
_TOOL = Obj(
    {
        "function": Obj(
            {"name": Str(non_blank=True), "parameters": MapOf(AnyJson())}, {"description": Str()}
        )
    },
    {"type": Str(choices=("function",))},
)
BODY = Obj(
    required={"messages": ListOf(MESSAGE, 1)},
    optional={
        "tools": ListOf(_TOOL),
        "strict_tools": Bool(),
        "documents": ListOf(Either((Str(), _DOCUMENT))),
        "citation_options": Obj(
            {}, {"mode": Str(choices=("ENABLED", "DISABLED", "FAST", "ACCURATE", "OFF"))}
        ),
        "response_format": Tagged(
            "type", {"text": Obj(), "json_object": Obj({}, {"json_schema": MapOf(AnyJson())})}
        ),
        "safety_mode": Str(choices=("CONTEXTUAL", "STRICT", "OFF")),
        "max_tokens": Int(1),
        "stop_sequences": ListOf(Str(), 0, 5),
        "temperature": Num(0),
        "seed": Int(),
        "frequency_penalty": Num(0, 1),
        "presence_penalty": Num(0, 1),
        "k": Int(0, 500),
        "p": Num(0.01, 0.99),
        "logprobs": Bool(),
        "tool_choice": Str(choices=("REQUIRED", "NONE")),
        "thinking": Obj({"type": Str(choices=("enabled", "disabled"))}, {"token_budget": Int(1)}),
        "priority": Int(0),
    },
    refused=COHERE_REFUSED,
)

SPEC = batch_spec(
    "batch-chat-v2-input",
    "Batch chat requests: a unique `custom_id` and a Chat v2 request `body`.",
    BODY,
    tokens=JsonTexts("body", ("messages[].content", "messages[].content[].text", "documents[]")),
)
