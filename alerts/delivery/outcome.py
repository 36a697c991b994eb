"""What one delivery attempt's result means, and when to try again: pure functions, no I/O.

Every channel (webhook, Slack, e-mail) turns its attempt into an `Attempt`. The app's delivery worker stores
it and, for "retry", schedules the next attempt with `next_retry_delay`. Error excerpts are for the admin's
eyes and logs, so they pass through `redact_secrets` first: a Slack webhook URL or a signing secret is a
credential and must never appear in them.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

Outcome = Literal["delivered", "retry", "failed", "gone"]

ERROR_EXCERPT_CHARS = 300
# A server's explicit Retry-After is honoured beyond the backoff cap, up to 6 hours: earlier tries would only
# be refused again. Past 6 hours the notification is stale anyway, and a bogus "Retry-After: 31536000" must
# not park a delivery for a year.
RETRY_AFTER_CAP = 6 * 3600.0
REDACTED = "***"
_DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?")  # RFC 9110 says digits only; a fraction costs nothing to accept
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_PART_MIN_CHARS = 8  # shorter path segments ("api", "hooks") are words, not tokens; redacting them mangles text


@dataclass(frozen=True, slots=True)
class Attempt:
    """The result of one delivery attempt, as stored on the delivery row."""

    outcome: Outcome
    status_code: int | None  # None when no HTTP answer came back (timeout, refused, refused by the URL guard)
    latency_ms: float
    error: str | None = None  # excerpt of at most ERROR_EXCERPT_CHARS, already redacted
    retry_after: float | None = None  # seconds, from the answer's Retry-After header


def classify_http(status: int) -> Outcome:
    """Map an HTTP status to an outcome: 2xx delivered; 408, 429, 5xx retry; 410 gone; anything else failed."""
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 429) or 500 <= status < 600:
        return "retry"
    if status == 410:
        return "gone"  # the receiver says the endpoint is gone for good: the app disables the channel
    # 3xx: redirects are not followed (a moved endpoint must be reconfigured, and following could leak the
    # signed payload elsewhere); other 4xx: retrying the same request cannot succeed, so the admin is told now.
    return "failed"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None when absent, past or garbage."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    delay = (_as_utc(when) - _as_utc(now)).total_seconds()
    return delay if delay >= 0 else None


def next_retry_delay(
    attempts: int, *, retry_after: float | None, rng: random.Random, base: float = 10.0, cap: float = 3600.0
) -> float:
    """Seconds before the next attempt, after `attempts` failed ones: full-jitter backoff, Retry-After honoured.

    The backoff is uniform between base/2 (so a retry is never immediate) and min(cap, base * 2**(attempts-1)).
    A Retry-After is a floor, honoured up to RETRY_AFTER_CAP even when larger than `cap`.
    """
    exponent = min(max(attempts, 1) - 1, 64)  # 2**64 * base is past any cap; avoids float overflow
    ceiling = min(cap, base * 2.0**exponent)
    backoff = rng.uniform(min(base / 2, ceiling), ceiling)
    if retry_after is None or not math.isfinite(retry_after):
        return backoff
    return max(backoff, min(retry_after, RETRY_AFTER_CAP))


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret (raw or URL-quoted) by ***, and drop user-info and query strings from http(s) URLs."""
    forms = {form for secret in secrets if secret for form in _quoted_forms(secret)}
    # Longest first, so that a secret containing another is replaced whole.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return _URL.sub(_strip_url_credentials, text)


def url_secrets(url: str) -> list[str]:
    """The parts of a channel URL to redact: the URL, its path and query, user-info, long segments and values.

    A Slack or Teams webhook URL is a credential, and a receiver may echo any part of it in an error page.
    """
    parts = [url]
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    path_query = split.path + (f"?{split.query}" if split.query else "")
    parts += [path_query, split.query, split.fragment, split.netloc.rpartition("@")[0]]
    if split.path not in ("", "/"):
        parts.append(split.path)
    parts += [segment for segment in split.path.split("/") if len(segment) >= _URL_PART_MIN_CHARS]
    values = [value for _, value in parse_qsl(split.query, keep_blank_values=True)]
    parts += [value for value in values if len(value) >= _URL_PART_MIN_CHARS]
    return [part for part in parts if part]


def excerpt(text: str, limit: int = ERROR_EXCERPT_CHARS) -> str:
    """Collapse whitespace and cut to `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted_forms(secret: str) -> set[str]:
    return {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}


def _strip_url_credentials(match: re.Match[str]) -> str:
    url = match.group(0)
    try:
        split = urlsplit(url)
    except ValueError:
        return url.split(":", 1)[0] + "://" + REDACTED  # unparseable (bad IPv6 literal...): hide it all
    host = split.netloc.rpartition("@")[2]
    hidden = "?" + REDACTED if split.query or split.fragment else ""
    return f"{split.scheme}://{host}{split.path}{hidden}"


def _as_utc(moment: datetime) -> datetime:
    # HTTP dates are GMT; a naive datetime (asctime format, or SQLite) is taken as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
