"""Batch request lines in other formats for `batch-chat-v2-input`: OpenAI's batch lines for chat
completions, and Cohere's own v1 chat requests (`batch-chat-input`); and v2 lines back to
OpenAI's (`batch-openai-chat-input`)."""

from __future__ import annotations

from validators.conversions.base import Conversion, Converted, Row, dropped

_V2_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_V1_ROLES = {"SYSTEM": "system", "USER": "user", "CHATBOT": "assistant"}
_V1_KEPT = ("temperature", "max_tokens", "seed", "k", "p", "frequency_penalty", "presence_penalty",
            "stop_sequences")  # fmt: skip
_V2_BLOCKS = {"user": ("text", "image_url"), "system": ("text",), "assistant": ("text",)}
# OpenAI body key -> Cohere v2 key, and the range Cohere takes (None: any)
_PARAMETERS = {
    "max_tokens": ("max_tokens", None),
    "max_completion_tokens": ("max_tokens", None),
    "temperature": ("temperature", None),
    "top_p": ("p", (0.01, 0.99)),
    "seed": ("seed", None),
    "frequency_penalty": ("frequency_penalty", (0.0, 1.0)),
    "presence_penalty": ("presence_penalty", (0.0, 1.0)),
    "logprobs": ("logprobs", None),
    "tools": ("tools", None),
}


def looks_like_openai_batch(row: Row) -> bool:
    return isinstance(row, dict) and "url" in row and "method" in row and "body" in row


def looks_like_v1_chat(row: Row) -> bool:
    body = row.get("body") if isinstance(row, dict) else None
    return isinstance(body, dict) and "message" in body and "messages" not in body


def _content(role: str, content: object, where: str, notes: list[str]) -> object:
    if not isinstance(content, list):
        return content
    allowed = _V2_BLOCKS.get(role, ("text",))
    blocks = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in allowed:
            blocks.append(part)
        else:
            notes.append(dropped(f"a part of type {kind or 'non-object'}", where))
    return blocks


def _message(turn: object, where: str, notes: list[str]) -> dict | None:
    if not isinstance(turn, dict):
        notes.append(dropped("a message that is not an object", where))
        return None
    role = turn.get("role")
    if role == "tool":
        return {k: turn[k] for k in ("role", "tool_call_id", "content") if k in turn}
    if role not in _V2_ROLES:
        notes.append(dropped(f"a message of role {role!r}", where))
        return None
    role = _V2_ROLES[role]
    message: dict = {"role": role}
    if turn.get("content") is not None:
        message["content"] = _content(role, turn["content"], where, notes)
    if role == "assistant" and turn.get("tool_calls"):
        message["tool_calls"] = turn["tool_calls"]
    for key in sorted(set(turn) - {"role", "content", "tool_calls"}):
        notes.append(dropped(f"'{key}'", where))
    return message


def _parameter(key: str, value: object, body: dict, notes: list[str]) -> None:
    name, bounds = _PARAMETERS[key]
    if bounds is not None and isinstance(value, int | float):
        low, high = bounds
        if not low <= value <= high:
            notes.append(f"'{key}' {value} is outside Cohere's range for '{name}': set to "
                         f"{min(max(value, low), high)}")  # fmt: skip
            value = min(max(value, low), high)
    body[name] = value


def openai_batch_to_v2(row: Row) -> Converted:
    notes: list[str] = []
    source = row.get("body") if isinstance(row.get("body"), dict) else {}
    messages = [
        m
        for number, turn in enumerate(source.get("messages") or [], start=1)
        if (m := _message(turn, f"body.messages[{number - 1}]", notes)) is not None
    ]
    body: dict = {"messages": messages}
    for key, value in source.items():
        if key in _PARAMETERS:
            _parameter(key, value, body, notes)
        elif key == "stop":
            body["stop_sequences"] = [value] if isinstance(value, str) else value
        elif key == "response_format" and isinstance(value, dict):
            schema = (value.get("json_schema") or {}).get("schema")
            body["response_format"] = (
                {"type": "json_object"} if value.get("type") != "text" else {"type": "text"}
            )
            if schema is not None:
                body["response_format"]["json_schema"] = schema
        elif key not in ("messages", "model"):  # the batch names the model
            notes.append(dropped(f"'{key}'", "body"))
    return {"custom_id": row.get("custom_id"), "body": body}, notes


def v1_chat_to_v2(row: Row) -> Converted:
    notes: list[str] = []
    source = row["body"]
    messages = []
    if source.get("preamble"):
        messages.append({"role": "system", "content": source["preamble"]})
    for number, turn in enumerate(source.get("chat_history") or []):
        role = _V1_ROLES.get(turn.get("role")) if isinstance(turn, dict) else None
        if role is None:
            notes.append(dropped("a turn of another role", f"body.chat_history[{number}]"))
            continue
        messages.append({"role": role, "content": turn.get("message")})
    messages.append({"role": "user", "content": source.get("message")})
    body: dict = {"messages": messages}
    for key, value in source.items():
        if key in _V1_KEPT:
            body[key] = value
        elif key not in ("message", "chat_history", "preamble"):
            notes.append(dropped(f"'{key}'", "body"))
    return {"custom_id": row.get("custom_id"), "body": body}, notes


_TO_OPENAI = {"max_tokens": "max_tokens", "temperature": "temperature", "p": "top_p",
              "seed": "seed", "frequency_penalty": "frequency_penalty",
              "presence_penalty": "presence_penalty", "logprobs": "logprobs", "tools": "tools",
              "stop_sequences": "stop"}  # fmt: skip
_OPENAI_BLOCKS = ("text", "image_url")


def looks_like_v2_batch(row: Row) -> bool:
    body = row.get("body") if isinstance(row, dict) else None
    return isinstance(body, dict) and "messages" in body and "url" not in row


def _openai_message(turn: object, where: str, notes: list[str]) -> dict | None:
    if not isinstance(turn, dict) or turn.get("role") not in (
        "system",
        "user",
        "assistant",
        "tool",
    ):
        notes.append(dropped("a message of another role", where))
        return None
    carried = ("role", "content", "tool_calls", "tool_call_id")
    message = {k: turn[k] for k in carried if k in turn}
    if isinstance(message.get("content"), list):
        kept = [
            b for b in message["content"] if isinstance(b, dict) and b.get("type") in _OPENAI_BLOCKS
        ]
        if len(kept) < len(message["content"]):
            notes.append(dropped("content blocks other than text and images", where))
        message["content"] = kept
        if not kept:  # nothing left: no content (a turn of tool calls needs none)
            del message["content"]
    for key in sorted(set(turn) - set(carried)):
        notes.append(dropped(f"'{key}'", where))
    return message


def v2_to_openai_batch(row: Row) -> Converted:
    """A Cohere v2 batch line as OpenAI's (`batch-openai-chat-input`), without a model, as
    Cohere's batch API takes it (OpenAI's own needs `body.model` on every line)."""
    notes: list[str] = []
    source = row["body"]
    messages = [
        m
        for number, turn in enumerate(source.get("messages") or [])
        if (m := _openai_message(turn, f"body.messages[{number}]", notes)) is not None
    ]
    body: dict = {"messages": messages}
    for key, value in source.items():
        if key in _TO_OPENAI:
            body[_TO_OPENAI[key]] = value
        elif key == "response_format" and isinstance(value, dict):
            schema = value.get("json_schema")
            body["response_format"] = (
                {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}
                if schema is not None
                else {"type": value.get("type", "text")}
            )
        elif key != "messages":
            notes.append(dropped(f"'{key}'", "body"))
    line = {"custom_id": row.get("custom_id"), "method": "POST", "url": "/v1/chat/completions"}
    return {**line, "body": body}, notes


CONVERSIONS = (
    Conversion(
        "openai-batch-chat",
        "batch-chat-v2-input",
        "OpenAI batch lines for /v1/chat/completions",
        looks_like_openai_batch,
        openai_batch_to_v2,
    ),
    Conversion(
        "batch-chat-input",
        "batch-chat-v2-input",
        "Cohere Chat v1 requests (message, chat_history, preamble)",
        looks_like_v1_chat,
        v1_chat_to_v2,
    ),
    Conversion(
        "batch-chat-v2-input",
        "batch-openai-chat-input",
        "Cohere Chat v2 batch requests",
        looks_like_v2_batch,
        v2_to_openai_batch,
    ),
)
