"""OpenAI's chat fine-tuning format and Cohere's `chat-finetune-input`: the same conversations,
with roles system/user/assistant against System/User/Chatbot."""

from __future__ import annotations

from validators.conversions.base import Conversion, Converted, Row, dropped

OPENAI_ROLES = {"system": "System", "developer": "System", "user": "User", "assistant": "Chatbot"}
COHERE_ROLES = {"System": "system", "User": "user", "Chatbot": "assistant"}


def _turns(row: Row) -> list:
    messages = row.get("messages") if isinstance(row, dict) else None
    return messages if isinstance(messages, list) else []


def _roles(row: Row) -> set:
    return {turn.get("role") for turn in _turns(row) if isinstance(turn, dict)}


def looks_like_openai_chat(row: Row) -> bool:
    """Turns whose roles are OpenAI's (lowercase), with a user or an assistant among them."""
    roles = _roles(row)
    return bool(roles) and roles <= {*OPENAI_ROLES, "tool"} and bool(roles & {"user", "assistant"})


def looks_like_cohere_chat(row: Row) -> bool:
    roles = _roles(row)
    return bool(roles) and roles <= set(COHERE_ROLES)


def text_of(content: object, where: str, notes: list[str]) -> str | None:
    """A message's content as text: a string as it is, the text parts of a list joined."""
    if isinstance(content, str) or content is None:
        return content
    if not isinstance(content, list):
        notes.append(dropped(f"content of type {type(content).__name__}", where))
        return None
    texts = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        else:
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            notes.append(dropped(f"a part of type {kind}", where))
    return "\n".join(texts)


def openai_to_cohere(row: Row) -> Converted:
    notes: list[str] = []
    turns = []
    for number, turn in enumerate(_turns(row), start=1):
        where = f"turn {number}"
        role = OPENAI_ROLES.get(turn.get("role")) if isinstance(turn, dict) else None
        if role is None:
            notes.append(
                dropped(
                    f"a {turn.get('role') if isinstance(turn, dict) else 'non-object'} turn", where
                )
            )
            continue
        for key in sorted(set(turn) - {"role", "content", "name", "weight"}):
            notes.append(dropped(f"'{key}'", where))
        content = text_of(turn.get("content"), where, notes)
        if not content or not content.strip():
            notes.append(f"{where} has no text content (a tool call only?): dropped")
            continue
        turns.append({"role": role, "content": content})
    for key in sorted(set(row) - {"messages"}):
        notes.append(dropped(f"'{key}'", "the row"))
    return {"messages": turns}, notes


def cohere_to_openai(row: Row) -> Converted:
    notes: list[str] = []
    turns = []
    for number, turn in enumerate(_turns(row), start=1):
        role = COHERE_ROLES.get(turn.get("role")) if isinstance(turn, dict) else None
        if role is None:
            notes.append(dropped("a turn of another role", f"turn {number}"))
            continue
        turns.append({"role": role, "content": turn.get("content")})
    return {"messages": turns}, notes


CONVERSIONS = (
    Conversion(
        "openai-chat-finetune",
        "chat-finetune-input",
        "OpenAI chat fine-tuning (roles system, user, assistant)",
        looks_like_openai_chat,
        openai_to_cohere,
    ),
    Conversion(
        "chat-finetune-input",
        "openai-chat-finetune",
        "Cohere chat fine-tuning (roles System, User, Chatbot)",
        looks_like_cohere_chat,
        cohere_to_openai,
    ),
)
