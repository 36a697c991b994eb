"""One HTTP POST to a channel's endpoint, turned into an `Attempt`; it never raises for delivery errors.

Shared by the webhook and Slack channels. The URL is treated as a secret (a Slack webhook URL is a
credential, its path included): errors name the target only as `scheme://host/…`, and every excerpt of a
response or exception is redacted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from alerts.delivery.outcome import Attempt, classify_http, excerpt, parse_retry_after, redact_secrets, url_secrets

BODY_EXCERPT_BYTES = 2048
# Reading an error body must not outlast the attempt: a server can trickle bytes just under the read timeout.
BODY_READ_SECONDS = 5.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def post(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    check_url: Callable[[str], None] | None = None,
    secrets: Sequence[str] = (),
    now: Callable[[], datetime] = _utc_now,
) -> Attempt:
    """POST `body` to `url` without following redirects, and classify the answer (timeouts come from `client`)."""
    hidden = _secrets_to_hide(url, secrets)
    target = describe_target(url)
    if check_url is not None:
        try:
            check_url(url)
        except ValueError as exc:
            return Attempt("failed", None, 0.0, excerpt(redact_secrets(str(exc), hidden)))
    request_headers = httpx.Headers(headers)
    # Compressed error pages would be decompressed before the 2 KB cap: ask for none, read raw bytes.
    request_headers.setdefault("accept-encoding", "identity")
    started = time.monotonic()
    try:
        # follow_redirects per request: the client may be shared with code that does follow them.
        with client.stream("POST", url, content=body, headers=request_headers, follow_redirects=False) as response:
            latency_ms = (time.monotonic() - started) * 1000
            return _attempt(response, latency_ms, target, hidden, now)
    except httpx.TimeoutException as exc:
        elapsed = time.monotonic() - started
        error = f"timed out after {elapsed:.1f}s ({type(exc).__name__}) posting to {target}"
        return Attempt("retry", None, elapsed * 1000, error)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return Attempt("failed", None, 0.0, _exception_error(exc, target, hidden))
    except httpx.HTTPError as exc:
        # Refused, reset, DNS failure, protocol error: the network or the receiver may recover.
        elapsed_ms = (time.monotonic() - started) * 1000
        return Attempt("retry", None, elapsed_ms, _exception_error(exc, target, hidden))


def describe_target(url: str) -> str:
    """How errors name an endpoint: `scheme://host[:port]/…`, without user-info, path or query."""
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        return "the channel URL"
    if not split.scheme or not split.hostname:
        return "the channel URL"
    host = f"[{split.hostname}]" if ":" in split.hostname else split.hostname
    return f"{split.scheme}://{host}{f':{port}' if port else ''}/…"


def _attempt(
    response: httpx.Response, latency_ms: float, target: str, hidden: list[str], now: Callable[[], datetime]
) -> Attempt:
    status = response.status_code
    outcome = classify_http(status)
    if outcome == "delivered":
        return Attempt(outcome, status, latency_ms)  # the body is not read: nobody looks at it
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), now())
    error = f"HTTP {status} from {target}"
    if 300 <= status < 400:
        error += " (redirects are not followed: set the channel to the new URL)"
    body = redact_secrets(_read_head(response), hidden)
    if body.strip():
        error += f": {body}"
    return Attempt(outcome, status, latency_ms, excerpt(error), retry_after)


def _read_head(response: httpx.Response) -> str:
    """At most BODY_EXCERPT_BYTES of the body, decoded leniently; the rest is never downloaded."""
    head = bytearray()
    deadline = time.monotonic() + BODY_READ_SECONDS
    try:
        for chunk in response.iter_raw():
            head += chunk
            if len(head) >= BODY_EXCERPT_BYTES or time.monotonic() > deadline:
                break
    except httpx.HTTPError as exc:
        if not head:
            return f"(body unreadable: {type(exc).__name__})"
    raw = bytes(head[:BODY_EXCERPT_BYTES])
    try:
        return raw.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _exception_error(exc: Exception, target: str, hidden: list[str]) -> str:
    detail = redact_secrets(str(exc), hidden)
    return excerpt(f"{type(exc).__name__} posting to {target}" + (f": {detail}" if detail else ""))


def _secrets_to_hide(url: str, secrets: Sequence[str]) -> list[str]:
    hidden = url_secrets(url)
    for secret in secrets:
        # A receiver may echo the key without its whsec_ prefix.
        hidden += [secret, secret.removeprefix("whsec_")]
    return hidden
