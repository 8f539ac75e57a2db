"""The compiled decoder (validators/parsing/compiled.py) against the exact path, on generated
lines of every type: a line it accepts, the exact path accepts too and stores the same values;
it accepts every valid line the types' own examples and the bench's row makers write."""

from __future__ import annotations

import functools
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.datagen import KINDS
from tests.validators.shape_values import lines
from validators.parsing import ParseOptions
from validators.parsing.compiled import LineGuard, row_decoder
from validators.parsing.jsonl import _read_json_line
from validators.registry import spec_for, supported_types

JSONL_TYPES = [name for name in supported_types() if "jsonl" in spec_for(name).formats]


def _options(dataset_type: str) -> ParseOptions:
    spec = spec_for(dataset_type)
    return ParseOptions("jsonl", kept_fields=spec.field_names, field_kinds=spec.field_kinds)


def _fast(line: bytes, options: ParseOptions) -> dict | None:
    decoder = row_decoder(options.field_kinds)
    assert decoder is not None
    guard = LineGuard.for_chunk(line, options.kept_fields)
    return decoder.record(line) if not guard.needed or guard.clean(line) else None


@pytest.mark.parametrize("dataset_type", JSONL_TYPES)
def test_every_type_compiles(dataset_type):
    assert row_decoder(_options(dataset_type).field_kinds) is not None


@pytest.mark.parametrize("dataset_type", JSONL_TYPES)
def test_valid_rows_take_the_compiled_path(dataset_type):
    """Its own examples and the bench's realistic rows: all accepted, stored as exactly."""
    options = _options(dataset_type)
    makers = [maker for name, _, maker in KINDS.values() if name == dataset_type]
    rng = random.Random(3)
    rows = [spec_for(dataset_type).example(i, "p") for i in range(20)]
    rows += [maker(rng, i) for maker in makers for i in range(200)]
    for row in rows:
        line = json.dumps(row).encode()
        exact, finding = _read_json_line(line, options)
        assert finding is None
        assert _fast(line, options) == {name: exact.get(name) for name in options.kept_fields}


@functools.cache
def _lines(dataset_type: str) -> st.SearchStrategy:
    return lines(_options(dataset_type).field_kinds)  # built once: big shapes build slowly


@pytest.mark.parametrize("dataset_type", JSONL_TYPES)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_compiled_accepts_only_what_the_exact_path_accepts(dataset_type, data):
    options = _options(dataset_type)
    line = data.draw(_lines(dataset_type))
    fast = _fast(line, options)
    exact, finding = _read_json_line(line.removesuffix(b"\r"), options)
    if fast is not None:
        assert finding is None, (line, finding)
        assert fast == {name: exact.get(name) for name in options.kept_fields}
