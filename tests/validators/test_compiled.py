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
from validators.parsing.compiled import compiled_records, row_decoder
from validators.parsing.jsonl import _parse_jsonl_lines, _read_json_line, parse_jsonl
from validators.registry import spec_for, supported_types

JSONL_TYPES = [name for name in supported_types() if "jsonl" in spec_for(name).formats]


def _options(dataset_type: str) -> ParseOptions:
    spec = spec_for(dataset_type)
    return ParseOptions("jsonl", kept_fields=spec.field_names, field_kinds=spec.field_kinds)


def _fast(line: bytes, options: ParseOptions) -> dict | None:
    [record] = compiled_records(line, [line], options.field_kinds, options.kept_fields)
    return record


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


@pytest.mark.parametrize("dataset_type", JSONL_TYPES)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_chunk_reads_as_the_exact_path_reads_it(dataset_type, data):
    """The whole chunk, by whichever path it takes (polars, compiled lines, exact lines): the
    same rows, values and findings as every line read exactly."""
    options = _options(dataset_type)
    blank = st.sampled_from([b"", b"  ", b"\r"])
    chunk = b"\n".join(data.draw(st.lists(_lines(dataset_type) | blank, min_size=1, max_size=8)))
    read = parse_jsonl(chunk, options)
    reference = _parse_jsonl_lines(chunk, options, compiled=False)
    assert read.rows_seen == reference.rows_seen
    assert read.findings == reference.findings
    assert read.frame.to_dicts() == reference.frame.to_dicts()
