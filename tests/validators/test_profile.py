"""The data profile: the same at every chunk size (hypothesis), percentiles and histograms that
say what the lengths are."""

from __future__ import annotations

import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from validators.histograms import bucket, bucket_floor, field_summary, histogram
from validators.profile import chunk_profile, merge_profiles

TEXTS = st.lists(
    st.one_of(st.none(), st.text(max_size=40), st.text(min_size=250, max_size=3000)), max_size=60
)


def _frame(texts: list[str | None], tags: list[list[str]] | None = None) -> pl.DataFrame:
    columns = {"text": pl.Series(texts, dtype=pl.String)}
    if tags is not None:
        columns["tags"] = pl.Series(tags, dtype=pl.List(pl.String))
    return pl.DataFrame(columns)


@settings(max_examples=150, deadline=None)
@given(texts=TEXTS, cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=6))
def test_the_profile_is_the_same_at_every_chunking(texts, cuts):
    frame = _frame(texts, [[t or ""] * (len(t or "") % 4) for t in texts])
    whole = merge_profiles([chunk_profile(frame, ["text", "tags"])])
    bounds = sorted({0, len(texts), *[c for c in cuts if c <= len(texts)]})
    pieces = [frame.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert merge_profiles([chunk_profile(piece, ["text", "tags"]) for piece in pieces]) == whole


def test_summary_and_histogram_tell_the_lengths():
    texts = ["", "   ", *["x" * n for n in range(1, 101)], "y" * 5000]
    field = merge_profiles([chunk_profile(_frame(texts), ["text"])])["text"]
    lengths = sorted(len(text) for text in texts)
    nearest_rank = {share: lengths[math.ceil(share * len(lengths)) - 1] for share in (0.5, 0.95)}
    assert field_summary(field) == {
        "count": 103, "empty": 1, "blank": 2, "min": 0,
        "p50": nearest_rank[0.5], "p95": nearest_rank[0.95], "max": 5000,
    }  # fmt: skip
    bins = histogram(field)
    assert sum(b["count"] for b in bins) == 103 and bins[0]["from"] == 0
    assert bins[-1]["count"] == 1  # the long one, alone at the far end


def test_buckets_are_exact_below_256_and_a_ninth_wide_above():
    assert [bucket(n) for n in (0, 1, 255)] == [0, 1, 255]
    for length in (256, 300, 1000, 10**6):
        floor = bucket_floor(bucket(length))
        assert floor <= length < floor * 1.1
