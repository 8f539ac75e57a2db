"""Lengths (or counts) as mergeable histograms: one bucket per value below 256, then eight per
doubling. Counts add up across chunks, so a file's histogram is the same whatever the
chunking; percentiles read from the buckets are exact below 256 and within one bucket (about
9 %) above.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import polars as pl

EXACT_BELOW = 256
STEPS_PER_DOUBLING = 8
DISPLAY_BINS = 20


def bucket(length: int) -> int:
    if length < EXACT_BELOW:
        return length
    return EXACT_BELOW + int(math.log2(length / EXACT_BELOW) * STEPS_PER_DOUBLING)


def bucket_floor(index: int) -> int:
    """The smallest length in bucket `index`."""
    if index < EXACT_BELOW:
        return index
    return math.ceil(EXACT_BELOW * 2 ** ((index - EXACT_BELOW) / STEPS_PER_DOUBLING))


def bucket_counts(values: pl.Series) -> dict[str, int]:
    """The buckets of `values`, keyed by bucket index as text (JSON-able)."""
    counts: Counter = Counter()
    for value, count in values.value_counts().iter_rows():
        counts[str(bucket(int(value)))] += count
    return dict(counts)


def merged_buckets(*parts: dict[str, int]) -> dict[str, int]:
    total: Counter = Counter()
    for part in parts:
        total.update(part)
    return dict(sorted(((k, v) for k, v in total.items() if v), key=lambda item: int(item[0])))


def percentile(field: dict[str, Any], share: float) -> int:
    """The length below which `share` of the values lie (a bucket's floor above 256)."""
    wanted, seen = share * field["count"], 0
    for key, count in field["buckets"].items():
        seen += count
        if seen >= wanted:
            return max(field["min"], min(field["max"], bucket_floor(int(key))))
    return field["max"]


def histogram(field: dict[str, Any], bins: int = DISPLAY_BINS) -> list[dict[str, int]]:
    """The lengths in at most `bins` bins of equal width on a log scale, for a chart."""
    low, high = field["min"], field["max"]
    scale = (math.log1p(high) - math.log1p(low)) / bins
    edges = sorted({round(math.expm1(math.log1p(low) + scale * i)) for i in range(bins + 1)})
    counts = [0] * max(1, len(edges) - 1)
    for key, count in field["buckets"].items():
        floor = bucket_floor(int(key))
        index = next((i for i in range(len(edges) - 1) if floor < edges[i + 1]), len(counts) - 1)
        counts[index] += count
    return [
        {"from": edges[i], "to": edges[i + 1] if i + 1 < len(edges) else high, "count": counts[i]}
        for i in range(len(counts))
    ]


def field_summary(field: dict[str, Any]) -> dict[str, int]:
    return {
        "count": field["count"],
        "empty": field["empty"],
        "blank": field["blank"],
        "min": field["min"],
        "p50": percentile(field, 0.5),
        "p95": percentile(field, 0.95),
        "max": field["max"],
    }
