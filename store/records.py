"""The dataset record: one typed object for what Sieve knows about a dataset, and how it is kept
in a Redis hash (strings; structured fields as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from store.segments import Segment


class Status(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    VALIDATED = "validated"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (Status.VALIDATED, Status.FAILED)


TERMINAL_STATUSES = frozenset(status for status in Status if status.terminal)


@dataclass(frozen=True)
class DatasetOptions:
    """The create options validation reads (the rest only shape the request)."""

    keep_original_file: bool = False
    skip_malformed_input: bool = False
    keep_fields: tuple[str, ...] = ()
    optional_fields: tuple[str, ...] = ()
    text_separator: str | None = None  # None: a newline
    csv_delimiter: str | None = None  # None: a comma

    @property
    def separator(self) -> str:
        return self.text_separator or "\n"

    @property
    def delimiter(self) -> str:
        return self.csv_delimiter or ","

    @property
    def preserved_fields(self) -> list[str]:
        return [*self.keep_fields, *self.optional_fields]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetOptions:
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        for name in ("keep_fields", "optional_fields"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_default_delimiter(self, delimiter: str) -> DatasetOptions:
        """These options, with `delimiter` when none was given."""
        return self if self.csv_delimiter is not None else replace(self, csv_delimiter=delimiter)

    def validation_changes(self, other: DatasetOptions) -> list[str]:
        """The options that change what validation does and differ in `other` (a delimiter
        left unset there is no change)."""
        changed = [
            f.name
            for f in fields(self)
            if f.name not in ("keep_original_file", "csv_delimiter")
            and getattr(self, f.name) != getattr(other, f.name)
        ]
        if other.csv_delimiter not in (None, self.csv_delimiter):
            changed.append("csv_delimiter")
        return changed


@dataclass(frozen=True)
class CreateOptions:
    """A create request's options, as the API's schemas load them (query string, form fields
    or a resumable upload's JSON) and as `sieve check` takes them: the one list of them."""

    name: str
    dataset_type: str
    dry_run: bool = False
    dataset: DatasetOptions = field(default_factory=DatasetOptions)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CreateOptions:
        """From CreateOptionsSchema's result (or `to_dict`'s)."""
        return cls(
            name=data["name"],
            dataset_type=data.get("dataset_type") or data["type"],
            dry_run=bool(data.get("dry_run")),
            dataset=DatasetOptions.from_dict(data.get("dataset") or data),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dataset_type": self.dataset_type,
            "dry_run": self.dry_run,
            "dataset": self.dataset.to_dict(),
        }


@dataclass(frozen=True)
class StoredFile:
    """One uploaded file: the segments that hold its bytes in order (store/segments.py), how
    many bytes, and the format it was read as."""

    segments: tuple[Segment, ...]
    size: int
    format: str  # "jsonl" | "csv" | "txt"
    name: str = ""  # as uploaded
    separator: str = "\n"  # what ends its records (validators.formats.record_separator)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "segments": [[s.key, s.size] for s in self.segments]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredFile:
        values = dict(data)
        if "key" in values:  # recorded before files were segmented: one whole blob
            values["segments"] = [[values.pop("key"), values["size"]]]
        values["segments"] = tuple(Segment(key, size) for key, size in values["segments"])
        return cls(**values)


@dataclass
class DatasetRecord:
    id: str
    org: str
    name: str
    dataset_type: str
    status: Status
    created_at: str
    updated_at: str
    options: DatasetOptions = field(default_factory=DatasetOptions)
    files: dict[str, StoredFile] = field(default_factory=dict)  # "train" / "eval"
    dry_run: bool = False
    receiving: bool = False  # its upload is still streaming in (validation already started)
    usage_bytes: int = 0
    plan: dict[str, Any] | None = None  # the workers' chunk plan (workers.planning)
    chunks_total: int | None = None
    chunks_done: int = 0
    rows_seen: int = 0
    validation_error: str | None = None
    validation_warnings: list[str] | None = None  # None until a verdict
    parts: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] | None = None
    schema: str | None = None
    report: dict[str, Any] | None = None  # where the full report is (workers.full_report)
    profile: dict[str, Any] | None = None  # role -> the file's profile (validators.profile)

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @classmethod
    def new(  # noqa: PLR0913 - what a new record is made of
        cls,
        dataset_id: str,
        org: str,
        create: CreateOptions,
        files: dict[str, StoredFile],
        created_at: str,
        **state: Any,
    ) -> DatasetRecord:
        """A dataset as its upload makes it, queued (`state`: receiving, usage_bytes, plan):
        the one place records are built, for a POST, a resumable upload and `sieve check`."""
        return cls(
            id=dataset_id,
            org=org,
            name=create.name,
            dataset_type=create.dataset_type,
            status=Status.QUEUED,
            created_at=created_at,
            updated_at=created_at,
            options=create.dataset,
            files=files,
            dry_run=create.dry_run,
            **state,
        )

    def encode(self) -> dict[str, str]:
        """The record as a Redis hash."""
        values = asdict(self)
        values["files"] = {role: f.to_dict() for role, f in self.files.items()}
        return encode_fields(values)

    @classmethod
    def decode(cls, raw: dict[str, str]) -> DatasetRecord:
        values: dict[str, Any] = decode_fields(raw)
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in values.items() if name in known}
        values["status"] = Status(values["status"])
        values["options"] = DatasetOptions.from_dict(values.get("options") or {})
        values["files"] = {
            role: StoredFile.from_dict(
                {"separator": values["options"].separator, **file}  # recorded before files
                if file.get("format") == "txt"  # had a separator of their own: the dataset's
                else file
            )
            for role, file in (values.get("files") or {}).items()
        }
        values["dry_run"] = values.get("dry_run") == "true"
        values["receiving"] = values.get("receiving") == "true"
        for name in ("usage_bytes", "chunks_done", "rows_seen"):
            values[name] = int(values.get(name) or 0)
        total = values.get("chunks_total")
        values["chunks_total"] = int(total) if total else None
        values["validation_error"] = values.get("validation_error") or None
        return cls(**values)


JSON_FIELDS = frozenset(
    {"options", "files", "parts", "metrics", "plan", "validation_warnings", "report", "profile"}
)


def encode_fields(values: dict[str, Any]) -> dict[str, str]:
    """Field values as Redis hash strings (None: not stored)."""
    encoded = {}
    for name, value in values.items():
        if value is None:
            continue
        if name in JSON_FIELDS:
            encoded[name] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        else:
            encoded[name] = str(value)
    return encoded


def decode_fields(raw: dict[str, str]) -> dict[str, Any]:
    return {name: json.loads(v) if name in JSON_FIELDS else v for name, v in raw.items()}
