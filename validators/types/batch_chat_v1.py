"""batch-chat-input: one (v1) Chat request per row, under `body`, without `model`.

`message`, an optional `chat_history` of USER / CHATBOT / SYSTEM (and TOOL) turns, `preamble`
and the v1 parameters, as in Cohere's Chat v1 API reference."""

from validators.shapes import AnyJson, Bool, Int, ListOf, MapOf, Num, Obj, Str, Tagged
from validators.spec import JsonTexts
from validators.types.batch_rows import (
    COHERE_REFUSED,
    batch_spec,
)

_SAID = Obj({"message": Str()}, {"tool_calls": ListOf(AnyJson())})
TURN = Tagged(
    "role",
    {
        "USER": _SAID,
        "CHATBOT": _SAID,
        "SYSTEM": _SAID,
        "TOOL": Obj({}, {"tool_results": ListOf(AnyJson())}),
    },
)
BODY = Obj(
    required={"message": Str()},
    optional={
        "preamble": Str(),
        "chat_history": ListOf(TURN),
        "conversation_id": Str(),
        "prompt_truncation": Str(choices=("OFF", "AUTO", "AUTO_PRESERVE_ORDER")),
        "connectors": ListOf(MapOf(AnyJson())),
        "search_queries_only": Bool(),
        "documents": ListOf(MapOf(AnyJson())),
        "citation_quality": Str(choices=("fast", "accurate", "off")),
        "temperature": Num(0),
        "max_tokens": Int(1),
        "max_input_tokens": Int(1),
        "k": Int(0, 500),
        "p": Num(0.01, 0.99),
        "seed": Int(),
        "stop_sequences": ListOf(Str(), 0, 5),
        "frequency_penalty": Num(0, 1),
        "presence_penalty": Num(0, 1),
        "raw_prompting": Bool(),
        "tools": ListOf(MapOf(AnyJson())),
        "tool_results": ListOf(MapOf(AnyJson())),
        "force_single_step": Bool(),
        "response_format": MapOf(AnyJson()),
        "safety_mode": Str(choices=("CONTEXTUAL", "STRICT", "NONE")),
    },
    refused=COHERE_REFUSED,
)

SPEC = batch_spec(
    "batch-chat-input",
    "Batch chat requests (v1): a unique `custom_id` and a Chat v1 request `body`.",
    BODY,
    tokens=JsonTexts("body", ("preamble", "chat_history[].message", "message")),
)
