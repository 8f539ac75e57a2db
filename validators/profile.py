"""A data profile of each file, computed as its chunks are validated and merged exactly.

Per field: how many rows have it, how many are empty or only whitespace, the shortest and the
longest, and a histogram of lengths (characters of a text, items of a list) that adds up across
chunks (validators.histograms), so the profile is the same whatever the chunking.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from validators.histograms import bucket_counts, field_summary, histogram, merged_buckets
from validators.report import FileReport
from validators.spec import DatasetSpec


def _length(dtype: pl.DataType, name: str) -> pl.Expr | None:
    if dtype == pl.String:
        return pl.col(name).str.len_chars()
    if isinstance(dtype, pl.List):
        return pl.col(name).list.len()
    return None


def chunk_profile(frame: pl.DataFrame, names: list[str]) -> dict[str, Any]:
    """The profile of one chunk's rows: its text and list fields among `names`."""
    fields: dict[str, Any] = {}
    for name in names:
        length = _length(frame.schema[name], name) if name in frame.columns else None
        present = frame.filter(pl.col(name).is_not_null()) if length is not None else None
        if present is None or present.height == 0:
            continue
        lengths = present.select(length.alias("n"))["n"]
        blank = 0
        if frame.schema[name] == pl.String:
            blank = present.select(pl.col(name).str.strip_chars() == "").to_series().sum()
        fields[name] = {
            "count": present.height,
            "empty": int((lengths == 0).sum()),
            "blank": int(blank),
            "min": int(lengths.min()),
            "max": int(lengths.max()),
            "buckets": bucket_counts(lengths),
        }
    return fields


def merge_profiles(profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """Chunk profiles of one file, merged: the same as the whole file's profile."""
    merged: dict[str, Any] = {}
    for profile in profiles:
        for name, part in profile.items():
            into = merged.setdefault(
                name, {"count": 0, "empty": 0, "blank": 0, "min": None, "max": None, "buckets": {}}
            )
            for key in ("count", "empty", "blank"):
                into[key] += part[key]
            into["min"] = part["min"] if into["min"] is None else min(into["min"], part["min"])
            into["max"] = part["max"] if into["max"] is None else max(into["max"], part["max"])
            into["buckets"] = merged_buckets(into["buckets"], part["buckets"])
    return merged


def file_profile(
    spec: DatasetSpec, report: FileReport, chunk_profiles: list[dict[str, Any]]
) -> dict[str, Any]:
    """A file's whole profile, once every chunk is in: fields, then what the rules found
    (labels, duplicates, the eval rows found in the train file)."""
    fields = merge_profiles(chunk_profiles)
    found: dict[str, Any] = {}
    for rule in spec.file_rules:
        found.update(rule.profile(report))
    return {
        "rows": report.rows_seen,
        "valid_rows": report.rows_valid,
        "fields": {
            name: {**field_summary(field), "histogram": histogram(field)}
            for name, field in fields.items()
        },
        **found,
    }


def compact(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile without its histograms (of the fields, and of the tokens), for the dataset
    object."""
    return {
        role: {
            **file,
            "fields": {name: _no_histogram(field) for name, field in file["fields"].items()},
            **({"tokens": _no_histogram(file["tokens"])} if "tokens" in file else {}),
        }
        for role, file in profile.items()
    }


def _no_histogram(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "histogram"}
