"""Resumable uploads in Redis: what was declared, which parts arrived (with their SHA-256),
how far the streamed validation got, and when an unfinished upload expires.

An upload moves OPEN -> COMPLETING -> COMPLETED (or OPEN -> ABORTED); each move is one atomic
compare-and-set, so a complete, an abort and the expiry sweep can race and only one wins.
Parts live as blobs under the dataset's folder (see store.removal.upload_part_key) and are the
segments of the file: never copied, never changed once their bytes were cut into chunks.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

import redis

from store.datasets import format_timestamp
from store.keys import RedisKeys
from store.records import CreateOptions
from store.segments import Segment

_MOVE = """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
return 1
"""


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

# A part is recorded only while the upload is open, and never over bytes already cut into
# chunks (KEYS: the upload, its parts; ARGV: number, the part as JSON, its first byte).
_SAVE_PART = """
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'claimed') or '0') > tonumber(ARGV[3]) then
  return -1
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
"""

# The cutter is about to read bytes [0, ARGV[1]): no part under them may change from now on.
_CLAIM = """
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
local claimed = tonumber(redis.call('HGET', KEYS[1], 'claimed') or '0')
if tonumber(ARGV[1]) > claimed then redis.call('HSET', KEYS[1], 'claimed', ARGV[1]) end
return 1
"""

# Only the holder of the advance lock saves how far cutting got (a holder whose lock expired
# and was taken over is fenced off), and only while the upload exists.
_SAVE_RESUME = """
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'resume', ARGV[1])
return 1
"""

_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


# Open an upload unless its org has ARGV[2] unexpired ones open already (KEYS: the upload, the
# expiry index, the org's open uploads; ARGV: id, limit, now, expires_at, then the fields).
_CREATE = """
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then return 0 end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
"""


class PartSaved(IntEnum):
    """What `UploadStore.save_part` did."""

    SAVED = 1
    NOT_OPEN = 0  # completed, aborted or gone meanwhile
    ALREADY_CUT = -1  # its bytes were cut into chunks: the part can no longer change


class UploadState(StrEnum):
    OPEN = "open"
    COMPLETING = "completing"
    COMPLETED = "completed"
    ABORTED = "aborted"


@dataclass(frozen=True)
class ReceivedPart:
    number: int
    size: int
    sha256: str
    key: str = ""  # the blob that holds it: a segment of the upload's file


@dataclass
class ResumableUpload:
    id: str
    org: str
    dataset_id: str
    filename: str
    size: int
    part_size: int
    create: CreateOptions  # the dataset's options, as given when the upload was opened
    created_at: str
    expires_at: float  # epoch seconds
    state: UploadState = UploadState.OPEN
    resume: dict[str, Any] | None = None  # how far streamed validation got (api.streaming)
    claimed: int = 0  # bytes [0, claimed) were read to be cut: their parts can't change
    parts: dict[int, ReceivedPart] = field(default_factory=dict)

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))

    def part_bytes(self, number: int) -> int:
        """The size part `number` (1-based) must have: part_size, the last one what is left."""
        return min(self.part_size, self.size - (number - 1) * self.part_size)

    def missing_parts(self) -> list[int]:
        return [n for n in range(1, self.part_count + 1) if n not in self.parts]

    @property
    def name(self) -> str:
        return self.create.name

    @property
    def dataset_type(self) -> str:
        return self.create.dataset_type

    @property
    def expires(self) -> str:
        """When it expires, as every timestamp of the API is written."""
        return format_timestamp(datetime.fromtimestamp(self.expires_at, UTC))

    def part_start(self, number: int) -> int:
        return (number - 1) * self.part_size

    def leading_segments(self) -> list[Segment]:
        """The parts 1..k that all arrived, as the first segments of the file."""
        segments, number = [], 1
        while number in self.parts:
            part = self.parts[number]
            segments.append(Segment(part.key, part.size))
            number += 1
        return segments

    def contiguous_bytes(self) -> int:
        """How many bytes from the start of the file are known (parts 1..k all arrived)."""
        number = 1
        while number in self.parts:
            number += 1
        return min(self.size, (number - 1) * self.part_size)

    def encode(self) -> dict[str, str]:
        values = asdict(self)
        values.pop("parts")
        values["state"] = self.state.value
        values["create"] = json.dumps(self.create.to_dict())
        values["resume"] = json.dumps(self.resume)
        return {name: str(value) for name, value in values.items()}

    @classmethod
    def decode(cls, raw: dict[str, str], parts: dict[str, str]) -> ResumableUpload:
        values: dict[str, Any] = dict(raw)
        for name in ("size", "part_size"):
            values[name] = int(values[name])
        values["claimed"] = int(values.get("claimed") or 0)
        values["expires_at"] = float(values["expires_at"])
        values["state"] = UploadState(values["state"])
        if "create" not in values:  # opened before the options were typed
            values["create"] = json.dumps(json.loads(values.pop("options")))
        for stale in ("options", "name", "dataset_type"):
            values.pop(stale, None)
        values["create"] = CreateOptions.from_dict(json.loads(values["create"]))
        values["resume"] = json.loads(values["resume"])
        values["parts"] = {
            int(number): ReceivedPart(int(number), **json.loads(text))
            for number, text in parts.items()
        }
        return cls(**values)


class UploadStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys
        self._move = client.register_script(_MOVE)
        self._release = client.register_script(_RELEASE)
        self._save_part = client.register_script(_SAVE_PART)
        self._claim = client.register_script(_CLAIM)
        self._save_resume = client.register_script(_SAVE_RESUME)
        self._renew = client.register_script(_RENEW)
        self._create = client.register_script(_CREATE)

    def create(self, upload: ResumableUpload, max_open: int) -> bool:
        """Store a new upload; False (nothing stored) when its org has `max_open` open."""
        keys = [
            self._keys.upload(upload.id),
            self._keys.uploads_by_expiry(),
            self._keys.org_open_uploads(upload.org),
        ]
        args: list[Any] = [upload.id, max_open, time.time(), upload.expires_at]
        for name, value in upload.encode().items():
            args.extend([name, value])
        return bool(self._create(keys=keys, args=args))

    def get(self, upload_id: str, org: str | None = None) -> ResumableUpload | None:
        """The upload, or None when missing or owned by another org than `org`."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._keys.upload(upload_id))
        pipe.hgetall(self._keys.upload_parts(upload_id))
        raw, parts = pipe.execute()
        if not raw or (org is not None and raw.get("org") != org):
            return None
        return ResumableUpload.decode(raw, parts)

    def save_part(self, upload_id: str, part: ReceivedPart, start: int) -> PartSaved:
        """Record `part` (whose first byte is file offset `start`), atomically refused when the
        upload is no longer open or those bytes were already cut."""
        value = json.dumps({"size": part.size, "sha256": part.sha256, "key": part.key})
        keys = [self._keys.upload(upload_id), self._keys.upload_parts(upload_id)]
        return PartSaved(int(self._save_part(keys=keys, args=[part.number, value, start])))

    def claim(self, upload_id: str, upto: int) -> bool:
        """Freeze the parts under bytes [0, upto) before reading them; False if not open."""
        return bool(self._claim(keys=[self._keys.upload(upload_id)], args=[upto]))

    def save_resume(self, upload_id: str, resume: dict[str, Any] | None, holder: str) -> bool:
        keys = [self._keys.upload(upload_id), self._keys.upload_advance(upload_id)]
        return bool(self._save_resume(keys=keys, args=[json.dumps(resume), holder]))

    def move(self, upload_id: str, from_state: UploadState, to_state: UploadState) -> bool:
        """Compare-and-set the state; False when it was not `from_state`."""
        keys = [self._keys.upload(upload_id)]
        return bool(self._move(keys=keys, args=[from_state.value, to_state.value]))

    def finish(self, upload: ResumableUpload, keep_seconds: int) -> None:
        """Completed: out of the expiry sweep; kept a while so a retried complete is answered."""
        upload_id = upload.id
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._keys.upload(upload_id), "state", UploadState.COMPLETED.value)
        pipe.zrem(self._keys.uploads_by_expiry(), upload_id)
        pipe.zrem(self._keys.org_open_uploads(upload.org), upload_id)
        pipe.delete(self._keys.upload_parts(upload_id))
        pipe.expire(self._keys.upload(upload_id), keep_seconds)
        pipe.execute()

    def forget(self, upload_id: str, org: str | None = None) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.zrem(self._keys.uploads_by_expiry(), upload_id)
        if org is not None:
            pipe.zrem(self._keys.org_open_uploads(org), upload_id)
        pipe.delete(self._keys.upload(upload_id), self._keys.upload_parts(upload_id))
        pipe.delete(self._keys.upload_advance(upload_id))
        pipe.execute()

    def dataset_ids(self) -> list[str]:
        """The dataset ids of every unfinished upload (for the orphan sweep)."""
        pipe = self._redis.pipeline(transaction=False)
        for upload_id in self._redis.zrange(self._keys.uploads_by_expiry(), 0, -1):
            pipe.hget(self._keys.upload(upload_id), "dataset_id")
        return [dataset_id for dataset_id in pipe.execute() if dataset_id]

    def expired_ids(self, limit: int = 500) -> list[str]:
        return self._redis.zrangebyscore(
            self._keys.uploads_by_expiry(), "-inf", time.time(), start=0, num=limit
        )

    def claim_advance(self, upload_id: str, holder: str, seconds: int) -> bool:
        """Only one process at a time cuts an upload's known bytes into chunks."""
        key = self._keys.upload_advance(upload_id)
        return bool(self._redis.set(key, holder, nx=True, ex=seconds))

    def renew_advance(self, upload_id: str, holder: str, seconds: float) -> bool:
        """Keep holding the lock while working; False if it was lost (expired, taken over)."""
        keys = [self._keys.upload_advance(upload_id)]
        return bool(self._renew(keys=keys, args=[holder, int(seconds * 1000)]))

    def release_advance(self, upload_id: str, holder: str) -> None:
        """Let go, if still the holder (a holder whose claim timed out deletes nothing)."""
        self._release(keys=[self._keys.upload_advance(upload_id)], args=[holder])
