"""chat-finetune-input: conversations of System / User / Chatbot turns."""

from collections.abc import Callable

import polars as pl

from validators.kinds import MESSAGES
from validators.spec import (
    DatasetSpec,
    Field,
    MinExamples,
    RowRule,
    TokenLimits,
    Total,
    Turns,
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


_known_role = _role.is_not_null() & _role.is_in(ROLES)
_has_content = _content.is_not_null() & (_content.str.strip_chars().str.len_bytes() > 0)
_late_system = (_role == "System") & (pl.int_range(pl.len()) > 0)


def _system_only_first(field: str) -> pl.Expr:
    return ~pl.col(field).list.eval(_late_system).list.any()


def _first_turn(field: str, bad: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The first turn where `bad` holds: its 1-based number and the turn itself."""
    index = pl.col(field).list.eval(bad.fill_null(True)).list.arg_max()
    return index + 1, pl.col(field).list.get(index)


def _shown(value: pl.Expr) -> pl.Expr:
    """A value quoted in a message, cut short."""
    return pl.format("'{}'", value.str.slice(0, 40))


def _missing(key: str, turn: pl.Expr, found: pl.Expr) -> pl.Expr:
    """ "has no 'KEY' in turn N", naming the key the turn has instead when it has one
    (`message`, ShareGPT's `from` and `value`: MESSAGES.near_keys) and its value."""
    nears = dict(MESSAGES.near_keys)[key]
    near = pl.coalesce(
        [pl.when(found.struct.field(k).is_not_null()).then(pl.lit(k)) for k in nears]
    )
    value = pl.coalesce([found.struct.field(k) for k in nears])
    instead = pl.format(
        f"has no '{key}' in turn {{}}; it has '{{}}' ({{}}) instead: Cohere's turns name it "
        f"'{key}'",
        turn,
        near,
        _shown(value),
    )
    return (
        pl.when(near.is_not_null())
        .then(instead)
        .otherwise(pl.format(f"has no '{key}' in turn {{}}", turn))
    )


def _role_detail(field: str) -> pl.Expr:
    turn, found = _first_turn(field, ~_known_role)
    role = found.struct.field("role")
    wrong = pl.format(
        f"has role {{}} in turn {{}}; the roles are {', '.join(ROLES)}", _shown(role), turn
    )
    return pl.when(role.is_null()).then(_missing("role", turn, found)).otherwise(wrong)


def _content_detail(field: str) -> pl.Expr:
    turn, found = _first_turn(field, ~_has_content)
    missing = found.struct.field("content").is_null()
    empty = pl.format("has empty content in turn {}", turn)
    return pl.when(missing).then(_missing("content", turn, found)).otherwise(empty)


def _system_detail(field: str) -> pl.Expr:
    turn, _ = _first_turn(field, _late_system)
    return pl.format("has a System turn as turn {}; only the first turn may be System", turn)


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
            _each(_known_role),
            detail=_role_detail,
        ),
        RowRule(
            "messages|content_not_empty",
            "messages",
            "has a turn with no or empty content",
            _each(_has_content),
            detail=_content_detail,
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
            detail=_system_detail,
        ),
    ),
    dataset_rules=(MinExamples(train=2, eval=1), TokenLimits()),
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
    tokens=Turns("messages"),
)
