"""Every Redis key Sieve uses, in one place. All live under one prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = "sieve"

    def dataset(self, dataset_id: str) -> str:
        """Hash: the dataset record."""
        return f"{self.prefix}:ds:{dataset_id}"

    def chunk_reports(self, dataset_id: str) -> str:
        """Hash: chunk index -> JSON chunk report (written once per chunk)."""
        return f"{self.prefix}:ds:{dataset_id}:reports"

    def chunk_attempts(self, dataset_id: str) -> str:
        """Hash: chunk index -> number of times a worker started it."""
        return f"{self.prefix}:ds:{dataset_id}:attempts"

    def finalize_lock(self, dataset_id: str) -> str:
        """String set NX by whoever completes the chunk set: finalize is triggered once."""
        return f"{self.prefix}:ds:{dataset_id}:finalize"

    def dataset_aux_keys(self, dataset_id: str) -> list[str]:
        return [
            self.chunk_reports(dataset_id),
            self.chunk_attempts(dataset_id),
            self.finalize_lock(dataset_id),
        ]

    def org_datasets(self, org: str) -> str:
        """Sorted set: dataset ids of an org scored by creation time (epoch microseconds)."""
        return f"{self.prefix}:org:{org}:datasets"

    def org_usage(self, org: str) -> str:
        """Integer: bytes stored plus bytes reserved by uploads in flight."""
        return f"{self.prefix}:org:{org}:usage"

    def org_reservations(self, org: str) -> str:
        """Hash: upload id -> bytes reserved so far by that in-flight upload."""
        return f"{self.prefix}:org:{org}:reservations"

    def reservation_heartbeats(self) -> str:
        """Sorted set: `reservation_member` -> epoch seconds its upload last reserved. An
        upload whose web process died stops beating; the sweep gives its bytes back."""
        return f"{self.prefix}:reservations:heartbeats"

    @staticmethod
    def reservation_member(org: str, upload_id: str) -> str:
        return f"{upload_id}\t{org}"

    @staticmethod
    def parse_reservation_member(member: str) -> tuple[str, str]:
        """(org, upload_id) of a `reservation_member`."""
        upload_id, _, org = member.partition("\t")
        return org, upload_id

    def upload(self, upload_id: str) -> str:
        """Hash: a resumable upload (store/uploads.py)."""
        return f"{self.prefix}:upload:{upload_id}"

    def upload_parts(self, upload_id: str) -> str:
        """Hash: part number -> JSON {size, sha256} of each part received."""
        return f"{self.prefix}:upload:{upload_id}:parts"

    def upload_advance(self, upload_id: str) -> str:
        """String set NX by the one process cutting an upload's known bytes into chunks."""
        return f"{self.prefix}:upload:{upload_id}:advance"

    def org_open_uploads(self, org: str) -> str:
        """Sorted set: an org's unfinished upload ids scored by when they expire (the bound on
        open uploads counts those not yet expired)."""
        return f"{self.prefix}:org:{org}:open-uploads"

    def uploads_by_expiry(self) -> str:
        """Sorted set: unfinished upload ids scored by when they expire (epoch seconds)."""
        return f"{self.prefix}:uploads:by-expiry"

    def idempotency(self, org: str, key: str) -> str:
        return f"{self.prefix}:org:{org}:idem:{key}"

    def api_key(self, key_hash: str) -> str:
        """String: SHA-256 of an API key -> organization."""
        return f"{self.prefix}:apikey:{key_hash}"

    def org_api_keys(self, org: str) -> str:
        """Set: hashes of an org's API keys."""
        return f"{self.prefix}:org:{org}:apikeys"

    def all_datasets(self) -> str:
        """Sorted set: every dataset id scored by creation time, for retention."""
        return f"{self.prefix}:datasets:by-created"

    def active_datasets(self) -> str:
        """Sorted set: datasets not yet validated or failed, scored by their last progress
        (epoch seconds), for the sweep that drives stalled work again."""
        return f"{self.prefix}:datasets:active"

    def org_searches(self, org: str) -> str:
        """Sorted set: the organization's searches running, scored by when each lapses."""
        return f"{self.prefix}:org:{org}:searches"

    def rate_window(self, key_hash: str, window: int) -> str:
        """Integer: creates made with one API key in one rate-limit window."""
        return f"{self.prefix}:rate:{key_hash}:{window}"

    def webhook(self, webhook_id: str) -> str:
        """Hash: a webhook endpoint (store/webhooks.py)."""
        return f"{self.prefix}:webhook:{webhook_id}"

    def org_webhooks(self, org: str) -> str:
        """Sorted set: an organization's webhook ids scored by creation time."""
        return f"{self.prefix}:org:{org}:webhooks"

    def webhook_deliveries(self, webhook_id: str) -> str:
        """List: the latest delivery attempts to a webhook, newest first (JSON each)."""
        return f"{self.prefix}:webhook:{webhook_id}:deliveries"

    def webhook_messages(self) -> str:
        """Hash: `webhook id/message id` -> JSON message waiting to be delivered."""
        return f"{self.prefix}:webhooks:messages"

    def unannounced_verdicts(self) -> str:
        """Sorted set: datasets whose verdict's webhook messages are not queued yet, scored by
        when the verdict came (beat announces those a crash left behind)."""
        return f"{self.prefix}:webhooks:unannounced"

    def webhook_due(self) -> str:
        """Sorted set: `webhook id/message id` scored by when its next attempt is due."""
        return f"{self.prefix}:webhooks:due"

    def known_workers(self) -> str:
        """Set: the Celery node names of the workers that said they are ready and have not
        stopped (or failed to answer a status call): how many answers a status call awaits."""
        return f"{self.prefix}:workers:known"

    def shared_secret(self) -> str:
        """String: the generated URL-signing secret when SIEVE_SECRET_KEY is unset."""
        return f"{self.prefix}:secret"
