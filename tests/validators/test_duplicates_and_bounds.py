"""A batch keeps every line: an exact duplicate is a repeated custom_id and fails the dataset
(fine-tune types keep dropping exact duplicates, as Cohere does); and every message stays
bounded whatever the values it quotes."""

from __future__ import annotations

import pytest

from tests.validators.simulate import jsonl, validate
from tests.validators.test_types import valid_rows
from validators.findings import MAX_MESSAGE_CHARS, bounded
from validators.registry import spec_for, supported_types

BATCH_TYPES = [t for t in supported_types() if t.startswith("batch-")]
DROPPING_TYPES = [t for t in supported_types() if spec_for(t).drops_duplicates]


@pytest.mark.parametrize("dataset_type", BATCH_TYPES)
@pytest.mark.parametrize("chunk_bytes", [1 << 30, 300])
def test_an_exact_duplicate_line_fails_a_batch_as_a_repeated_custom_id(dataset_type, chunk_bytes):
    rows = valid_rows(dataset_type)
    rows.append(dict(rows[1]))  # the same request again, byte for byte
    verdict, _ = validate(dataset_type, {"train": ("jsonl", jsonl(rows))}, chunk_bytes)
    assert verdict.status == "failed"
    assert verdict.error == (
        f"row {len(rows)} of the train file: field 'custom_id' has the same value as row 2; "
        "each 'custom_id' must be unique in the file"
    )
    assert not [w for w in verdict.warnings if "duplicate" in w]


@pytest.mark.parametrize("dataset_type", DROPPING_TYPES)
def test_other_types_drop_an_exact_duplicate_with_a_warning(dataset_type):
    rows = valid_rows(dataset_type)
    rows.append(dict(rows[1]))
    verdict, _ = validate(dataset_type, {"train": ("jsonl", jsonl(rows))})
    assert verdict.status == "validated", verdict
    assert "1 exact duplicate row was dropped from the train file (the first at row " in " ".join(
        verdict.warnings
    )


def test_every_message_is_bounded_and_keeps_its_advice():
    rows = [{"text": f"text {i}", "label": "ab"[i % 2]} for i in range(60)]
    rows += [{"text": f"t{i}", "label": "L" * 100_000 + str(i)} for i in range(3)]
    data = {"train": ("jsonl", jsonl(rows))}
    verdict, _ = validate("single-label-classification-finetune-input", data)
    assert verdict.status == "validated"
    labels = [w for w in verdict.warnings if "fewer than 5" in w]
    assert len(labels) == 3
    for warning in labels:
        assert len(warning) <= MAX_MESSAGE_CHARS + 50
        assert "characters left out" in warning and warning.endswith("as Cohere does")


def test_bounded_leaves_short_text_alone():
    assert bounded("short") == "short"
    long = "a" * 500 + "b" * 1500
    cut = bounded(long)
    assert cut.startswith("a" * 500) and cut.endswith("b" * 250) and "1000 characters" in cut
