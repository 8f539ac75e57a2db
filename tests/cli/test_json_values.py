"""A file that is one JSON document, read one value at a time in blocks of any size: the same
values as reading it whole, and a break told by its line and column whatever the blocks."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.client import CliError
from cli.json_values import JsonValues

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=8), st.integers(1, 64), st.sampled_from([None, 2]), st.booleans())
def test_the_values_whatever_the_blocks(values, block, indent, as_array):
    if as_array:
        text = json.dumps(values, indent=indent)
    else:  # values one after the other, as a pretty-printer writes them
        text = "\n".join(json.dumps(value, indent=indent) for value in values) + "\n"
    if not as_array and any(not isinstance(v, dict) for v in values):
        return  # rows one after the other are objects (a first array would be the array)
    read = list(JsonValues(io.StringIO(text), block))
    assert [value for value, _ in read] == values
    assert [json.loads(raw) for _, raw in read] == values


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[\n {"a": 1},\n {"b" 2}\n]', "line 3, column 7: Expecting ':' delimiter"),
        ('[{"a": 1}, {"b": }]', "line 1, column 18: Expecting value"),
        ('[{"a": 1}', "line 1, column 10: the array is not closed with ']'"),
        ('[{"a": 1} {"b": 2}]', "line 1, column 11: expected ',' or ']' after an item"),
        ("[1]\n2", "line 2, column 1: text after the array's closing ']'"),
    ],
)
@pytest.mark.parametrize("block", [1, 4, 1 << 20])
def test_a_break_is_told_by_line_and_column(text, where, block):
    with pytest.raises(CliError) as raised:
        list(JsonValues(io.StringIO(text), block))
    assert str(raised.value).startswith(f"the file's JSON breaks at {where}")
