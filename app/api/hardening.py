"""What keeps the API safe to expose: a body size cap, rate limiting per key, security headers, CORS.

Plain ASGI middlewares (no per-request thread, no buffering of large bodies). Errors are problem+json like
every other error of the API.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The JSON API never needs a script, a frame or a style; /docs does (Swagger UI), so it is left out.
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


async def _problem(send: Send, status: int, title: str, detail: str, headers: list | None = None) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    start = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start + (headers or [])})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class BodyLimit:
    """413 for a request body over `max_bytes`, whether announced (Content-Length) or streamed (chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        detail = f"the request body is larger than {self.max_bytes:,} bytes; send less at once (e.g. smaller batches)"
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await _problem(send, 413, "Payload too large", detail)
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _problem(send, 413, "Payload too large", detail)


class RateLimit:
    """A token bucket per API key (per client address without one): `per_minute` requests, bursts included.

    Per process: with N API replicas behind a balancer a key gets up to N times the rate; put the shared
    limit in the balancer if that matters. Health and metrics endpoints are not limited.
    """

    EXEMPT = ("/healthz", "/readyz", "/metrics")

    def __init__(self, app: ASGIApp, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.app, self.rate, self.capacity, self.clock = app, per_minute / 60.0, float(per_minute), clock
        self.buckets: dict[str, tuple[float, float]] = {}  # who -> (tokens, last refill)
        self.lock = threading.Lock()

    def _who(self, scope: Scope) -> str:
        auth = dict(scope["headers"]).get(b"authorization")
        if auth:
            return "key:" + hashlib.sha256(auth).hexdigest()[:32]  # never keep the key itself
        client = scope.get("client") or ("?", 0)
        return f"ip:{client[0]}"

    def _take(self, who: str) -> float:
        """0 when the request may go, else the seconds until it may."""
        now = self.clock()
        with self.lock:
            tokens, last = self.buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.buckets[who] = (tokens - 1, now)
                return 0.0
            self.buckets[who] = (tokens, now)
            if len(self.buckets) > 100_000:  # forget idle callers rather than grow without bound
                self.buckets.clear()
            return (1 - tokens) / self.rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT or self.rate <= 0:
            return await self.app(scope, receive, send)
        wait = self._take(self._who(scope))
        if wait > 0:
            retry = str(max(1, math.ceil(wait))).encode()
            detail = "too many requests for this API key; wait for Retry-After seconds, or ask for a higher limit"
            return await _problem(send, 429, "Too many requests", detail, [(b"retry-after", retry)])
        await self.app(scope, receive, send)


class SecurityHeaders:
    """nosniff, no framing, no referrer on every answer; a deny-all CSP on the API's own answers."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        docs = scope["path"].startswith(("/docs", "/redoc"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                if not docs and API_CSP[0] not in names:
                    extra.append(API_CSP)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
