"""Where a webhook may point, and one signed POST to it.

A URL given to Sieve is fetched by Sieve's own hosts, so it could reach what only they can
(metadata services, Redis, the S3 server): server-side request forgery. Every address a host
name resolves to must be a public one, checked when the webhook is created and again before
each attempt, and the request goes to the address that was checked (a name that resolves
elsewhere a moment later — DNS rebinding — changes nothing). A self-hosted install whose
receivers live on its own network allows private addresses with SIEVE_WEBHOOK_ALLOW_PRIVATE.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import certifi
import urllib3

MAX_URL = 2048
RESPONSE_EXCERPT = 500  # characters of an answer's body kept with the attempt
ALLOW_PRIVATE = "SIEVE_WEBHOOK_ALLOW_PRIVATE=true"


class TargetRefused(ValueError):
    """A URL Sieve will not send to; the message says why, for a person."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (the Host header, the TLS name)
    port: int
    path: str  # with its query
    address: str  # the checked address the request goes to


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer (refused, timed out, unreachable)
    duration_ms: int
    error: str = ""
    response: str = ""
    retry_after: float | None = None  # seconds, when the answer asked for a pause


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an http(s) URL fit to be a webhook, else TargetRefused."""
    if len(url) > MAX_URL:
        raise TargetRefused(f"the url is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"{url!r} is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(
            "put no user or password in the url: receivers check the webhook-signature header"
        )
    if parts.fragment:
        raise TargetRefused("the url has a #fragment, which is never sent: remove it")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port or default_port, path


def resolve(url: str, allow_private: bool) -> Target:
    """The URL's target with the address to send to; TargetRefused when the host does not
    resolve or any of its addresses is one Sieve may not reach."""
    scheme, host, port, path = check_url(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {host!r} could not be resolved ({exc})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        kind = _forbidden(ipaddress.ip_address(address.split("%", 1)[0]), allow_private)
        if kind:
            shown = host if host == address else f"{host!r}, which resolves to {address},"
            hint = "" if kind in ("multicast", "unspecified") else f" unless {ALLOW_PRIVATE}"
            raise TargetRefused(f"{shown} is a {kind} address: Sieve does not send there{hint}")
    return Target(scheme, host, port, path, addresses[0])


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> str:
    """What kind of address `address` is when Sieve must not send to it, else ""."""
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if allow_private or address.is_global:
        return ""
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    return "private"


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to the target's checked address, naming its host; never follows a redirect
    (the spec counts one as a failure: the URL should be updated)."""
    started = time.monotonic()
    options: dict = {"timeout": urllib3.Timeout(connect=min(timeout, 10), read=timeout)}
    if target.scheme == "https":
        options.update(
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    pool_class = (
        urllib3.HTTPSConnectionPool if target.scheme == "https" else urllib3.HTTPConnectionPool
    )
    pool = pool_class(target.address, target.port, retries=False, maxsize=1, **options)
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    try:
        answer = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        excerpt = answer.read(RESPONSE_EXCERPT * 4, decode_content=True)
        answer.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        return Answer(None, _since(started), error=_reason(exc, timeout))
    finally:
        pool.close()
    return Answer(
        answer.status,
        _since(started),
        response=excerpt.decode("utf-8", "replace")[:RESPONSE_EXCERPT],
        retry_after=_retry_after(answer.headers.get("Retry-After")),
    )


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _reason(exc: Exception, timeout: float) -> str:
    """A failed request in a few words, for the attempt's record."""
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS failed: {exc}"
    cause = getattr(exc, "reason", None) or exc
    text = str(cause)
    if "Connection refused" in text:
        return "connection refused"
    return text.split(": ", 1)[-1][:200] or type(exc).__name__


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, given as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
