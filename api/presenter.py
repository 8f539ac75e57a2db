"""A stored dataset record -> the Dataset object of the wire contract (with fresh signed URLs)."""

from __future__ import annotations

import json
from typing import Any

from store.records import DatasetRecord, Status
from store.removal import original_key
from store.signing import DownloadLinks
from validators.profile import compact
from validators.registry import spec_for


def dataset_view(record: DatasetRecord, links: DownloadLinks, url_ttl: int) -> dict[str, Any]:
    options = record.options
    spec = spec_for(record.dataset_type)
    view: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "dataset_type": record.dataset_type,
        "validation_status": record.status.value,
        "validation_error": record.validation_error,
        "validation_warnings": record.validation_warnings,
        "schema": record.schema,
        "required_fields": spec.required_fields if spec else None,
        "preserve_fields": _preserved(record),
        "parse_info": {"delimiter": options.delimiter, "separator": options.separator},
        "metrics": record.metrics,
    }
    if record.status == Status.VALIDATED:
        view["dataset_parts"] = _parts(record, links, url_ttl)
    if record.report is not None:
        view["validation_report"] = _report_summary(record)
    if record.profile is not None:
        view["profile"] = compact(record.profile)
    if not record.terminal:
        view["progress"] = {
            "chunks_done": record.chunks_done,
            "chunks_total": record.chunks_total,
            "rows_seen": record.rows_seen,
        }
    return view


def _preserved(record: DatasetRecord) -> list[str]:
    """The fields kept beyond the type's: once rows are stored, an optional field no row gave
    is not among them (nor a null column in the rows)."""
    given = record.options.preserved_fields
    if record.status != Status.VALIDATED or not record.schema:
        return given
    stored = {field["name"] for field in json.loads(record.schema).get("fields", [])}
    return [name for name in given if name in stored]


def _parts(record: DatasetRecord, links: DownloadLinks, ttl: int) -> list[dict]:
    parts = []
    for index, part in enumerate(record.parts):
        role = part["name"].split("-", 1)[0]
        view = {
            "id": f"{record.id}-{part['name']}",
            "name": part["name"],
            "index": index,
            "url": links.url(part["key"], ttl),
            "size_bytes": part["size_bytes"],
            "num_rows": part["num_rows"],
            "samples": part["samples"],
        }
        if record.options.keep_original_file and role in record.files:
            view["original_url"] = links.url(original_key(record.id, role), ttl)
        parts.append(view)
    return parts


def _report_summary(record: DatasetRecord) -> dict[str, Any]:
    counts = record.report["rule_counts"]
    return {
        "findings": record.report["findings"],
        "by_rule": [
            {"file": role, "code": code, "count": count}
            for role, by_code in counts.items()
            for code, count in sorted(by_code.items(), key=lambda item: -item[1])
        ],
        "path": f"/v1/datasets/{record.id}/report",
        # how many of the first validation_warnings fail the dataset too
        "failing_warnings": record.report.get("failing_warnings", 0),
    }
