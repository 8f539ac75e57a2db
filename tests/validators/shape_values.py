"""Hypothesis strategies for JSON rows of every dataset type, drawn from the types' own
declarations: values that fit each shape, and now and then (at any depth) one that does not."""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

from validators.kinds import INTEGER, STRING, STRING_LIST, FieldKind, Shaped, Turns
from validators.shapes import AnyJson, Bool, Either, ListOf, MapOf, Num, Obj, Shape, Str, Tagged

KEYS = st.sampled_from(["a", "type", "role", "content", "text", "id", "model", "x y", "é"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["", " ", "\t", "\u3000", "\x1c", "user", "assistant", "text", "function"]),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)


def broken(valid: st.SearchStrategy, odds: int = 12) -> st.SearchStrategy:
    """Mostly `valid`; one draw in `odds` any JSON value at all."""
    return st.integers(0, odds - 1).flatmap(lambda n: ANY_JSON if n == 0 else valid)


def shape_values(shape: Shape) -> st.SearchStrategy:  # noqa: PLR0911 - one branch per shape
    """Values of `shape`, with broken ones mixed in at every level."""
    if isinstance(shape, Str):
        if shape.choices:
            return broken(st.sampled_from(shape.choices))
        return broken(st.text(max_size=12) | st.sampled_from(["", " ", "\u3000x", "ok"]))
    if isinstance(shape, Num):
        low = shape.minimum if shape.minimum is not None else -1e6
        high = shape.maximum if shape.maximum is not None else 1e6
        ints = st.integers(int(low) - 1, int(high) + 1)
        floats = st.floats(low - 0.5, high + 0.5, allow_nan=False)
        return broken(ints if shape.integer else ints | floats)
    if isinstance(shape, Bool):
        return broken(st.booleans())
    if isinstance(shape, AnyJson):
        return ANY_JSON
    if isinstance(shape, ListOf):
        high = shape.max_items + 1 if shape.max_items is not None else shape.min_items + 3
        return broken(st.lists(shape_values(shape.item), min_size=0, max_size=high))
    if isinstance(shape, MapOf):
        keys = st.sampled_from(shape.keys) if shape.keys else KEYS
        return broken(st.dictionaries(keys | KEYS, shape_values(shape.value), max_size=3))
    if isinstance(shape, Obj):
        return broken(_objects(shape))
    if isinstance(shape, Tagged):
        variants = [
            _objects(variant).map(lambda value, tag=tag: {shape.tag: tag, **value})
            for tag, variant in shape.variants.items()
        ]
        return broken(st.one_of(variants))
    if isinstance(shape, Either):
        return st.one_of([shape_values(option) for option in shape.options])
    raise TypeError(shape)


def _objects(shape: Obj) -> st.SearchStrategy:
    known = {**shape.required, **shape.optional}
    optional = st.fixed_dictionaries(
        {}, optional={key: shape_values(value) for key, value in known.items()}
    )
    required = st.fixed_dictionaries({key: shape_values(v) for key, v in shape.required.items()})
    extra = st.dictionaries(st.sampled_from([*shape.refused, "zz"]), ANY_JSON, max_size=1)
    rare_extra = st.integers(0, 7).flatmap(lambda n: extra if n == 0 else st.just({}))
    return st.tuples(required, optional, rare_extra).map(
        lambda parts: {**parts[1], **parts[0], **parts[2]}
    )


def kind_values(kind: FieldKind) -> st.SearchStrategy:
    if isinstance(kind, Shaped):
        return shape_values(kind.shape)
    if kind is STRING:
        return broken(st.text(max_size=10))
    if kind is STRING_LIST:
        return broken(st.lists(broken(st.text(max_size=5)), max_size=3))
    if kind is INTEGER:
        return broken(st.integers(-(2**65), 2**65))
    if isinstance(kind, Turns):
        turn = st.fixed_dictionaries(
            {}, optional={key: broken(st.text(max_size=6)) for key in (*kind.keys, "name")}
        )
        return broken(st.lists(broken(turn), max_size=4))
    raise TypeError(kind)


def rows(field_kinds: tuple[tuple[str, FieldKind], ...]) -> st.SearchStrategy:
    """Rows of a type's fields (each may be absent), sometimes with an unknown key."""
    fields = {name: kind_values(kind) for name, kind in field_kinds}
    return st.fixed_dictionaries({}, optional={**fields, "unknown": ANY_JSON})


def lines(field_kinds: tuple[tuple[str, FieldKind], ...]) -> st.SearchStrategy:
    """JSONL lines of such rows, written the ways people's tools write them."""
    styles = st.sampled_from(
        [
            lambda row: json.dumps(row),
            lambda row: json.dumps(row, ensure_ascii=False, separators=(",", ":")),
            lambda row: json.dumps(row, indent=None, separators=(" , ", " : ")) + " \r",
        ]
    )
    written = st.tuples(rows(field_kinds), styles).map(lambda pair: pair[1](pair[0]).encode())
    first = field_kinds[0][0].encode()
    damage = st.sampled_from(
        [
            lambda line: line.replace(b"{", b'{"%s": "twice", ' % first, 1),  # a key twice
            lambda line: re.sub(rb"(?<=: )-?\d+(\.\d+)?", b"NaN", line, count=1),
            lambda line: line.replace(b'"', b'"\\ud800', 2),  # a lone surrogate
            lambda line: line.replace(b"e", b"\xff", 1),  # not UTF-8
            lambda line: line.replace(b"o", b"\x00", 1),
            lambda line: line.replace(b": ", b": " + b"[" * 70, 1) + b"]" * 70,  # deep
            lambda line: line + b" {}",  # two values on one line
        ]
    )
    sometimes = st.integers(0, 3).flatmap(lambda n: damage if n == 0 else st.just(_as_written))
    return st.tuples(written, sometimes).map(lambda pair: pair[1](pair[0]))


def _as_written(line: bytes) -> bytes:
    return line
