"""Fetch one URL for a collector: conditional GET, hand-followed redirects, private-address guard, size cap.

Every failure becomes a `FetchError` whose message names the host (and at most the path), never the
query string or the user-info of the URL, which may carry tokens.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from collectors.base import FetchDeferred, FetchError, FetchLimits

logger = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_THROTTLED = frozenset({429, 503})
_DECODE_STEP = 64 * 1024  # most bytes one gzip step may produce, so a gzip bomb cannot inflate in one go
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_PRIVATE_HINT = "set VIGIE_ALLOW_PRIVATE_URLS=true for local testing only"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(slots=True)
class HttpResult:
    """A final (non-redirect) answer: 2xx with its body, or 304 with an empty body."""

    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    final_url: str  # the URL that answered, after redirects, without user-info


def make_client(limits: FetchLimits) -> httpx.Client:
    """An httpx client with the limits' timeouts that never follows redirects itself (fetch_url does)."""
    return httpx.Client(timeout=_timeout(limits), follow_redirects=False)


def fetch_url(
    client: httpx.Client,
    url: str,
    limits: FetchLimits,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = FEED_ACCEPT,
    extra_headers: Mapping[str, str] | None = None,
) -> HttpResult:
    """GET `url` within `limits`, following redirects by hand and checking every hop.

    Returns 2xx and 304 answers; raises FetchError for everything else (with http_status/retry_after).
    """
    headers = {**_request_headers(limits, etag, last_modified, accept), **(extra_headers or {})}
    current = _parse_url(url)
    started = time.monotonic()
    deadline = started + limits.total_timeout
    for redirects in range(limits.max_redirects + 1):
        check_url_allowed(current, limits)
        result = _get_once(client, current, headers, limits, deadline)
        if result.status not in _REDIRECTS:
            _raise_for_status(result, current)
            logger.debug(
                "fetched",
                extra={
                    "fetch_url": redact_url(current),
                    "http_status": result.status,
                    "body_bytes": len(result.body),
                    "redirects": redirects,
                    "elapsed_ms": round((time.monotonic() - started) * 1000),
                },
            )
            return result
        target = _redirect_target(result, current)
        if target.host != current.host:
            headers.pop("Authorization", None)  # credentials are for the host they were given to
        current = target
        logger.debug("redirected", extra={"fetch_url": redact_url(current), "http_status": result.status})
    raise FetchError(f"too many redirects (more than {limits.max_redirects})")


def check_url_allowed(url: httpx.URL, limits: FetchLimits) -> None:
    """Refuse non-http(s) URLs and, unless limits.allow_private, hosts that are or resolve to private IPs."""
    if url.scheme not in ("http", "https"):
        got = f"{url.scheme}:" if url.scheme else "a URL without scheme"
        raise FetchError(f"refused: only http and https URLs can be fetched, not {got}")
    if not url.host:
        raise FetchError("refused: the URL has no host")
    if limits.allow_private:
        return
    # Known gap: httpx resolves the name again to connect, so a DNS server that answers differently the
    # second time (rebinding) gets through. Closing it means pinning the checked IP in a custom transport.
    for address in _resolve(url):
        if is_forbidden_address(address):
            raise FetchError(f"refused: {url.host} resolves to a private address; {_PRIVATE_HINT}")


def is_forbidden_address(address: Address) -> bool:
    """True for loopback, private, link-local, multicast, reserved, unspecified or non-global addresses."""
    candidates = [address, *_embedded_ipv4(address)]
    return any(
        a.is_loopback
        or a.is_private
        or a.is_link_local
        or a.is_multicast
        or a.is_reserved
        or a.is_unspecified
        or not a.is_global
        for a in candidates
    )


def redact_url(url: str | httpx.URL) -> str:
    """scheme://host[:port]/path of a URL: no user-info, no query string, no fragment."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def parse_retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None when unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0, math.ceil((when - now).total_seconds()))


def parse_max_age(cache_control: str | None) -> int | None:
    """max-age of a Cache-Control header in seconds; None when absent, invalid, no-cache or no-store."""
    if not cache_control:
        return None
    max_age = None
    for directive in cache_control.split(","):
        name, _, value = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return None
        value = value.strip().strip('"')
        if name == "max-age" and value.isdigit():
            max_age = int(value)
    return max_age


def _timeout(limits: FetchLimits) -> httpx.Timeout:
    return httpx.Timeout(connect=limits.connect_timeout, read=limits.read_timeout, write=10.0, pool=10.0)


def _request_headers(
    limits: FetchLimits, etag: str | None, last_modified: str | None, accept: str
) -> dict[str, str]:
    # gzip only: _iter_body decodes it in bounded steps; other codings would be decoded by httpx unbounded.
    headers = {"User-Agent": limits.user_agent, "Accept": accept, "Accept-Encoding": "gzip"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _parse_url(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"refused: invalid URL ({type(exc).__name__})") from None


def _host_label(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port else host


def _resolve(url: httpx.URL) -> list[Address]:
    try:
        return [ipaddress.ip_address(url.host)]
    except ValueError:
        pass  # a name, not an IP literal
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(url.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"could not resolve {url.host}: {exc}") from None
    # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the zone is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    # IPv6 forms that route to an IPv4 address: ::ffff:127.0.0.1, 6to4 2002:7f00:1::, NAT64 64:ff9b::7f00:1.
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _get_once(
    client: httpx.Client, url: httpx.URL, headers: dict[str, str], limits: FetchLimits, deadline: float
) -> HttpResult:
    host = _host_label(url)
    try:
        with client.stream("GET", url, headers=headers, timeout=_timeout(limits)) as response:
            status = response.status_code
            response_headers = {name.lower(): value for name, value in response.headers.items()}
            body = _read_body(response, limits, host, deadline) if 200 <= status < 300 else b""
    except httpx.ConnectTimeout:
        raise FetchError(f"timed out after {limits.connect_timeout:g}s connecting to {host}") from None
    except httpx.ReadTimeout:
        raise FetchError(f"timed out after {limits.read_timeout:g}s waiting for data from {host}") from None
    except httpx.PoolTimeout:
        raise FetchError(f"timed out waiting for a free connection to {host}") from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out sending the request to {host}") from None
    except httpx.ConnectError as exc:
        if "refused" in str(exc).lower():
            raise FetchError(f"connection refused by {host} ({redact_url(url)})") from None
        raise FetchError(f"could not connect to {host}: {exc}") from None
    except httpx.RemoteProtocolError:
        raise FetchError(f"{host} closed the connection or sent an invalid HTTP response") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"request to {redact_url(url)} failed ({type(exc).__name__})") from None
    # final_url becomes the base of relative links in stored mentions: user-info must not travel with it.
    final_url = str(url.copy_with(userinfo=b"")) if url.userinfo else str(url)
    return HttpResult(status=status, headers=response_headers, body=body, final_url=final_url)


def _read_body(response: httpx.Response, limits: FetchLimits, host: str, deadline: float) -> bytes:
    max_bytes = limits.max_bytes
    too_big = f"response larger than {max_bytes} bytes; refused"
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        raise FetchError(too_big)
    chunks: list[bytes] = []
    total = 0
    for chunk in _iter_body(response, host):
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(too_big)  # leaving the `with client.stream` block closes the connection
        if time.monotonic() > deadline:
            raise FetchError(f"{host} took more than {limits.total_timeout:g}s in total to answer; refused")
        chunks.append(chunk)
    return b"".join(chunks)


def _iter_body(response: httpx.Response, host: str) -> Iterator[bytes]:
    """Decoded body chunks; gzip is inflated in steps of at most _DECODE_STEP bytes."""
    coding = response.headers.get("content-encoding", "").strip().lower()
    if coding not in ("gzip", "x-gzip"):
        yield from response.iter_bytes()
        return
    decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        for raw in response.iter_raw():
            data = raw
            while data and not decoder.eof:
                yield decoder.decompress(data, _DECODE_STEP)
                data = decoder.unconsumed_tail
            if decoder.eof:
                break  # whatever follows the gzip member is not part of the body; do not read it
        yield decoder.flush()
    except zlib.error:
        raise FetchError(f"invalid gzip body from {host}") from None


def _raise_for_status(result: HttpResult, url: httpx.URL) -> None:
    status = result.status
    if 200 <= status < 300 or status == 304:
        return
    host = _host_label(url)
    if status in _THROTTLED:
        retry_after = parse_retry_after(result.headers.get("retry-after"))
        wait = f" (retry after {retry_after}s)" if retry_after is not None else ""
        raise FetchError(f"HTTP {status} from {host}{wait}", http_status=status, retry_after=retry_after)
    raise FetchError(f"HTTP {status} from {host}", http_status=status)


def _redirect_target(result: HttpResult, url: httpx.URL) -> httpx.URL:
    location = result.headers.get("location", "").strip()
    if not location:
        message = f"HTTP {result.status} from {_host_label(url)} without a Location header"
        raise FetchError(message, http_status=result.status)
    try:
        return url.join(location)
    except (httpx.InvalidURL, ValueError):
        raise FetchError(f"HTTP {result.status} from {_host_label(url)} with an invalid Location") from None


# -- the fetcher every collector receives -----------------------------------------------------------------

JSON_ACCEPT = "application/json, text/json;q=0.9, */*;q=0.1"
MAX_PACING_WAIT = 20.0  # longest a fetch waits for its turn at a host; beyond, the source is deferred


class Pacer(Protocol):
    """Spaces requests to one host across every source of a kind, and across processes when shared."""

    def reserve(self, key: str, interval: float, max_wait: float) -> float:
        """Reserve the next turn at `key`, `interval` seconds after the previous one, and return the
        seconds to wait for it. When the turn is more than `max_wait` away nothing is reserved and
        FetchDeferred is raised with the wait."""

    def hold(self, key: str, seconds: float) -> None:
        """Keep every caller away from `key` for `seconds` (the host said so: 429, quota, backoff)."""


class LocalPacer:
    """A Pacer for one process (tests, `vigie collect --once` without a database)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def reserve(self, key: str, interval: float, max_wait: float) -> float:
        """See Pacer.reserve."""
        with self._lock:
            now = self._clock()
            turn = max(self._next.get(key, 0.0), now)
            wait = turn - now
            if wait > max_wait:
                raise FetchDeferred(key, wait)
            self._next[key] = turn + interval
            return wait

    def hold(self, key: str, seconds: float) -> None:
        """See Pacer.hold."""
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)


class Fetcher:
    """What a collector gets to reach the network: the HTTP client, the limits, host pacing and credentials.

    `credentials` holds the secrets some sources need (e.g. a Bluesky app password), taken from settings by
    the caller: collectors never read settings themselves.
    """

    def __init__(
        self,
        client: httpx.Client,
        limits: FetchLimits,
        *,
        pacer: Pacer | None = None,
        credentials: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.limits = limits
        self.pacer: Pacer = pacer or LocalPacer()
        self.credentials: Mapping[str, str] = credentials or {}
        self._sleep = sleep

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pace: float = 0.0,
        accept: str = FEED_ACCEPT,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> HttpResult:
        """GET through fetch_url, after waiting for this host's turn when `pace` (seconds between two
        requests to the host) is set. A 429/503 with Retry-After holds the host for everyone."""
        target = _with_params(url, params)
        key = _host_label(_parse_url(target))
        if pace > 0:
            wait = self.pacer.reserve(key, pace, MAX_PACING_WAIT)
            if wait > 0:
                self._sleep(wait)
        try:
            return fetch_url(
                self.client,
                target,
                self.limits,
                etag=etag,
                last_modified=last_modified,
                accept=accept,
                extra_headers=headers,
            )
        except FetchError as exc:
            if exc.retry_after:
                self.pacer.hold(key, exc.retry_after)
            raise

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pace: float = 0.0,
    ) -> tuple[Any, HttpResult]:
        """GET a JSON document; FetchError when the answer is HTML (an error page served with 200), empty
        or not JSON. Returns the decoded document and the raw result (for its headers)."""
        result = self.get(url, params=params, headers=headers, pace=pace, accept=JSON_ACCEPT)
        return decode_json(result), result

    def hold(self, url: str, seconds: float) -> None:
        """Keep every source away from `url`'s host for `seconds` (quota exhausted, `backoff` field...)."""
        self.pacer.hold(_host_label(_parse_url(url)), seconds)

    def post_json(
        self, url: str, payload: Mapping[str, Any], *, headers: Mapping[str, str] | None = None, pace: float = 0.0
    ) -> Any:
        """POST a JSON body (logins) and decode the JSON answer; same guards as `get_json`, no redirects."""
        parsed = _parse_url(url)
        check_url_allowed(parsed, self.limits)
        key = _host_label(parsed)
        if pace > 0:
            wait = self.pacer.reserve(key, pace, MAX_PACING_WAIT)
            if wait > 0:
                self._sleep(wait)
        request_headers = {"User-Agent": self.limits.user_agent, "Accept": JSON_ACCEPT, **(headers or {})}
        try:
            response = self.client.post(parsed, json=dict(payload), headers=request_headers)
        except httpx.HTTPError as exc:
            raise FetchError(f"request to {redact_url(parsed)} failed ({type(exc).__name__})") from None
        body = response.content
        if len(body) > self.limits.max_bytes:
            raise FetchError(f"response larger than {self.limits.max_bytes} bytes; refused")
        result = HttpResult(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            final_url=str(parsed),
        )
        try:
            _raise_for_status(result, parsed)
        except FetchError as exc:
            if exc.retry_after:
                self.pacer.hold(key, exc.retry_after)
            raise
        return decode_json(result)


def decode_json(result: HttpResult) -> Any:
    """The JSON document of a 2xx answer; FetchError naming what came instead (HTML page, empty, garbage)."""
    body = result.body
    start = body[:512].lstrip().lower()
    host = _host_label(httpx.URL(result.final_url))
    if not start:
        raise FetchError(f"empty answer from {host} where JSON was expected", http_status=result.status)
    if start.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise FetchError(
            f"{host} answered with an HTML/XML page instead of JSON (an error or block page)",
            http_status=result.status,
        )
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise FetchError(f"{host} answered with invalid JSON", http_status=result.status) from None


def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise FetchError("refused: invalid URL") from None
    clean = {k: v for k, v in params.items() if v is not None}
    return str(parsed.copy_merge_params(clean))
