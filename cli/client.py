"""A small HTTP client of Sieve's API for the `sieve` commands: every expected failure (server
unreachable, 401, 4xx, 5xx) becomes one `CliError` line saying what to do."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import requests

from cli.multipart import MultipartFiles

TERMINAL = ("validated", "failed", "skipped")
RETRIES = 5
MAX_RETRY_AFTER_SECONDS = 30.0


class CliError(click.ClickException):
    """One line on stderr and an exit code: 1 for a verdict, 2 for usage or connection."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class SieveClient:
    def __init__(self, url: str, api_key: str | None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key

    def _request(
        self, method: str, path: str, retry: bool = True, **kwargs: Any
    ) -> requests.Response:
        """The answer to one request; one the server asks to retry (409, 429 or 503 with
        Retry-After) is sent again after that long, a few times (never a streamed body)."""
        if not self.api_key:
            raise CliError(
                "no API key: pass --api-key or set SIEVE_API_KEY "
                "(`sieve up` prints one; `sieve keys create --org NAME` makes more)"
            )
        headers = {"Authorization": f"Bearer {self.api_key}", **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", 60)
        try:
            for attempt in range(RETRIES + 1):
                response = requests.request(
                    method, self.url + path, headers=headers, timeout=timeout, **kwargs
                )
                wait = _retry_after(response)
                if wait is None or attempt == RETRIES or not retry:
                    break
                time.sleep(wait)  # the server said when to try again: a busy lock, a limit
        except requests.ConnectionError as exc:
            raise CliError(
                f"can't reach Sieve at {self.url}: is it running? (`sieve up`, or set --url)"
            ) from exc
        except requests.Timeout as exc:
            raise CliError(f"Sieve at {self.url} did not answer in time; try again") from exc
        _raise_for_status(response)
        return response

    def create(
        self,
        files: list[tuple[str, Path]],
        params: dict[str, Any],
        on_sent: Callable[[int], None] | None = None,
    ) -> str:
        body = MultipartFiles(files, on_sent)
        response = self._request(
            "POST",
            "/v1/datasets",
            retry=False,  # its body streams from the file once
            params=params,
            data=body,
            headers={"Content-Type": body.content_type},
            timeout=3600,
        )
        return response.json()["id"]

    # -- resumable uploads (cli/resumable.py) ------------------------------------------------
    def open_upload(self, declared: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/v1/uploads", json=declared).json()["upload"]

    def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        """The upload, or None when the server no longer has it (expired, aborted)."""
        try:
            return self._request("GET", f"/v1/uploads/{upload_id}").json()["upload"]
        except CliError as exc:
            if str(exc).startswith("not found"):
                return None
            raise

    def put_part(self, upload_id: str, number: int, data: bytes, sha256: str) -> None:
        self._request(
            "PUT",
            f"/v1/uploads/{upload_id}/parts/{number}",
            data=data,
            headers={"X-Content-SHA256": sha256, "Content-Type": "application/octet-stream"},
            timeout=600,
        )

    def complete_upload(self, upload_id: str, sha256: str) -> str:
        path = f"/v1/uploads/{upload_id}/complete"
        return self._request("POST", path, json={"sha256": sha256}, timeout=3600).json()["id"]

    def report_blocks(self, dataset_id: str, query: dict[str, Any]) -> Iterator[bytes]:
        """The dataset's full report, streamed."""
        params = {name: value for name, value in query.items() if value is not None}
        path = f"/v1/datasets/{dataset_id}/report"
        with self._request("GET", path, params=params, stream=True, timeout=600) as response:
            yield from response.iter_content(1 << 20)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer to one request of the API (`path` from /v1 on)."""
        return self._request(method, path, **kwargs).json()

    def get(self, dataset_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/datasets/{dataset_id}").json()["dataset"]

    def list(self, **query: Any) -> list[dict[str, Any]]:
        params = {key: value for key, value in query.items() if value is not None}
        return self._request("GET", "/v1/datasets", params=params).json()["datasets"]

    def delete(self, dataset_id: str) -> None:
        self._request("DELETE", f"/v1/datasets/{dataset_id}")

    def status(self) -> dict[str, Any]:
        return self._request("GET", "/v1/status").json()

    def usage(self) -> int:
        return self._request("GET", "/v1/datasets/usage").json()["organization_usage"]

    def wait(
        self,
        dataset_id: str,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        interval: float = 0.5,
    ) -> dict[str, Any]:
        """Poll until the dataset's verdict; `on_progress` sees each state on the way."""
        while True:
            dataset = self.get(dataset_id)
            if on_progress is not None:
                on_progress(dataset)
            if dataset["validation_status"] in TERMINAL:
                return dataset
            time.sleep(interval)


def download_blocks(url: str) -> Iterator[bytes]:
    """The bytes of a signed download URL (no Authorization needed), streamed."""
    try:
        with requests.get(url, stream=True, timeout=600) as response:
            _raise_for_status(response)
            yield from response.iter_content(1 << 20)
    except requests.ConnectionError as exc:
        raise CliError(f"the download from {url.split('?')[0]} was cut off; try again") from exc


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait before sending again, when the server asked for it."""
    if response.status_code not in (409, 429, 503):
        return None
    try:
        return min(float(response.headers["Retry-After"]), MAX_RETRY_AFTER_SECONDS)
    except (KeyError, ValueError):
        return None


def _raise_for_status(response: requests.Response) -> None:
    if response.ok:
        return
    try:
        message = response.json()["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text.strip()[:200] or response.reason
    if response.status_code == 401:
        raise CliError(f"the API key was refused: {message} (check --api-key / SIEVE_API_KEY)")
    if response.status_code in (404, 410):
        raise CliError(f"not found: {message}")
    raise CliError(f"Sieve answered {response.status_code}: {message}")
