"""chat-finetune-input: conversations of System / User / Chatbot turns."""

from collections.abc import Callable

import polars as pl

from validators.kinds import MESSAGES
from validators.spec import (
    DatasetSpec,
    Field,
    MinExamples,
    RowRule,
    Total,
    list_length,
    not_empty_list,
    present,
)

ROLES = ["System", "User", "Chatbot"]
_role = pl.element().struct.field("role")
_content = pl.element().struct.field("content")


def _each(condition: pl.Expr) -> Callable[[str], pl.Expr]:
    return lambda field: pl.col(field).list.eval(condition).list.all()


def _some(condition: pl.Expr) -> Callable[[str], pl.Expr]:
    return lambda field: pl.col(field).list.eval(condition).list.any()


def _system_only_first(field: str) -> pl.Expr:
    late_system = (_role == "System") & (pl.int_range(pl.len()) > 0)
    return ~pl.col(field).list.eval(late_system).list.any()


SPEC = DatasetSpec(
    name="chat-finetune-input",
    description="Chat fine-tuning: `messages`, a conversation of System, User and Chatbot turns.",
    fields=(Field("messages", MESSAGES),),
    formats=frozenset({"jsonl"}),
    row_rules=(
        present("messages"),
        not_empty_list("messages"),
        RowRule(
            "messages|known_roles",
            "messages",
            f"has a turn whose role is not one of {', '.join(ROLES)}",
            _each(_role.is_not_null() & _role.is_in(ROLES)),
        ),
        RowRule(
            "messages|content_not_empty",
            "messages",
            "has a turn with empty content",
            _each(_content.is_not_null() & (_content.str.strip_chars().str.len_bytes() > 0)),
        ),
        RowRule(
            "messages|has_user", "messages", "needs at least one User turn", _some(_role == "User")
        ),
        RowRule(
            "messages|has_chatbot",
            "messages",
            "needs at least one Chatbot turn",
            _some(_role == "Chatbot"),
        ),
        RowRule(
            "messages|system_first",
            "messages",
            "has a System turn that is not the first turn",
            _system_only_first,
        ),
    ),
    dataset_rules=(MinExamples(train=2, eval=1),),
    eval_split=0.2,
    example_row=lambda i, prefix: {
        "messages": [
            {"role": "System", "content": "You are kind."},
            {"role": "User", "content": f"{prefix}question {i}"},
            {"role": "Chatbot", "content": f"answer {i}"},
        ]
    },
    totals=(Total("turns", list_length("messages")),),
    metrics_group="chat_data_metrics",
)
