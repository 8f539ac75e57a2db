"""Removing a dataset everywhere: its record (releasing its quota once) and all of its blobs."""

from __future__ import annotations

from store import Stores
from store.uploads import ResumableUpload

DATASETS_FOLDER = "datasets"


def dataset_prefix(dataset_id: str) -> str:
    """Blob folder of a dataset, named by the random token that ends its id (`<slug>-<token>`),
    so storage paths never contain anything the user chose."""
    return f"{DATASETS_FOLDER}/{dataset_id.rsplit('-', 1)[-1]}"


def upload_prefix(dataset_id: str, role: str) -> str:
    """The segments of an uploaded file (store/segments.py): a POST's, numbered in order; a
    resumable upload's parts."""
    return f"{dataset_prefix(dataset_id)}/upload/{role}"


def original_key(dataset_id: str, role: str) -> str:
    """What a signed `original_url` names: the uploaded file, read from its segments."""
    return f"originals/{dataset_id}/{role}"


def parse_original_key(key: str) -> tuple[str, str] | None:
    """(dataset id, role) of an `original_key`, else None."""
    kind, _, rest = key.partition("/")
    dataset_id, _, role = rest.partition("/")
    return (dataset_id, role) if kind == "originals" and dataset_id and role else None


def upload_part_key(dataset_id: str, number: int, version: str) -> str:
    """Part `number` of a resumable upload: a segment of its file. Each PUT writes a key of its
    own (`version`), so a part replaced before it was cut never overwrites bytes in use."""
    return f"{upload_prefix(dataset_id, 'train')}/p{number:05d}-{version}"


def part_key(dataset_id: str, part_name: str, attempt: str = "") -> str:
    """A part of valid rows. A chunk's delivery writes under its own `attempt` tag, so a
    second delivery of the same chunk (redriven while the first still ran) never overwrites
    the rows the verdict kept; the one whose report is not stored deletes what it wrote."""
    tag = f".{attempt}" if attempt else ""
    return f"{dataset_prefix(dataset_id)}/parts/{part_name}{tag}.avro"


def hashes_prefix(dataset_id: str) -> str:
    """Per-chunk row hashes: needed only until finalize has searched them for duplicates."""
    return f"{dataset_prefix(dataset_id)}/hashes"


def hashes_key(dataset_id: str, chunk_index: int, attempt: str) -> str:
    return f"{hashes_prefix(dataset_id)}/{chunk_index:05d}.{attempt}.arrow"


def report_prefix(dataset_id: str) -> str:
    """The full validation report: every finding, one blob per chunk and one per file."""
    return f"{dataset_prefix(dataset_id)}/report"


def findings_key(dataset_id: str, role: str, name: str, attempt: str = "") -> str:
    tag = f".{attempt}" if attempt else ""
    return f"{report_prefix(dataset_id)}/{role}-{name}{tag}.ndjson"


def remove_dataset(stores: Stores, dataset_id: str) -> bool:
    """Delete record then files. True if this call removed the record (False: already gone).
    Files are removed either way, so a retry cleans up after an interrupted removal."""
    released = stores.datasets.delete(dataset_id)
    stores.blobs.delete_prefix(dataset_prefix(dataset_id))
    return released is not None


def remove_upload(stores: Stores, upload: ResumableUpload) -> None:
    """An unfinished resumable upload, aborted or expired: its parts, the chunks and record its
    streamed validation made, and its quota reservation are all given up."""
    remove_dataset(stores, upload.dataset_id)
    stores.quota.release(upload.org, upload.dataset_id)
    stores.uploads.forget(upload.id, upload.org)
