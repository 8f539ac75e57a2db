"""A stored dataset record -> the Dataset object of the wire contract (with fresh signed URLs)."""

from __future__ import annotations

from typing import Any

from store.signing import DownloadLinks
from validators.registry import spec_for


def dataset_view(record: dict[str, Any], links: DownloadLinks, url_ttl: int) -> dict[str, Any]:
    options = record.get("options", {})
    files = record.get("files", {})
    spec = spec_for(record["dataset_type"])
    view: dict[str, Any] = {
        "id": record["id"],
        "name": record["name"],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
        "dataset_type": record["dataset_type"],
        "validation_status": record["status"],
        "validation_error": record.get("validation_error") or None,
        "validation_warnings": record.get("validation_warnings"),
        "schema": record.get("schema"),
        "required_fields": spec.required_fields if spec else None,
        "preserve_fields": [*options.get("keep_fields", []), *options.get("optional_fields", [])],
        "parse_info": {
            "delimiter": options.get("csv_delimiter") or ",",
            "separator": options.get("text_separator") or "\n",
        },
        "metrics": record.get("metrics"),
    }
    if record["status"] == "validated":
        view["dataset_parts"] = _parts(record, files, links, url_ttl, options)
    if record["status"] in ("queued", "processing"):
        view["progress"] = {
            "chunks_done": int(record.get("chunks_done") or 0),
            "chunks_total": int(record["chunks_total"]) if record.get("chunks_total") else None,
            "rows_seen": int(record.get("rows_seen") or 0),
        }
    return view


def _parts(record: dict, files: dict, links: DownloadLinks, ttl: int, options: dict) -> list[dict]:
    parts = []
    for index, part in enumerate(record.get("parts") or []):
        role = part["name"].split("-", 1)[0]
        view = {
            "id": f"{record['id']}-{part['name']}",
            "name": part["name"],
            "index": index,
            "url": links.url(part["key"], ttl),
            "size_bytes": part["size_bytes"],
            "num_rows": part["num_rows"],
            "samples": part["samples"],
        }
        if options.get("keep_original_file") and role in files:
            view["original_url"] = links.url(files[role]["key"], ttl)
        parts.append(view)
    return parts
