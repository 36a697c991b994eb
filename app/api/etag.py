"""ETag / If-None-Match on the API's JSON GETs: a dashboard polling an unchanged page gets a bodyless 304.

The tag is a hash of the answer itself, so it is right whatever changed underneath (a new mention, an
incident update) and identical across API replicas. Only JSON answers are held to be hashed; a stream
(Server-Sent Events) passes through untouched.
"""

from __future__ import annotations

import hashlib

from app.api.hardening import ASGIApp, Message, Receive, Scope, Send


def etag_of(body: bytes) -> bytes:
    """A weak validator (the same JSON may be re-encoded differently by another version)."""
    return b'W/"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'


def _matches(if_none_match: bytes | None, tag: bytes) -> bool:
    if not if_none_match:
        return False
    offered = [t.strip() for t in if_none_match.split(b",")]
    weak = tag.removeprefix(b"W/")
    return b"*" in offered or any(t.removeprefix(b"W/") == weak for t in offered)


class ETags:
    """Adds an ETag to 200 JSON answers of GET requests under /api/v1 and answers 304 when it matches."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith("/api/v1/"):
            return await self.app(scope, receive, send)
        condition = dict(scope["headers"]).get(b"if-none-match")
        held: dict[str, Message] = {}
        chunks: list[bytes] = []

        async def hashing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"application/json"):
                    held["start"] = message
                    return
                return await send(message)
            if "start" not in held:
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await _answer(send, held["start"], b"".join(chunks), condition)

        await self.app(scope, receive, hashing_send)


async def _answer(send: Send, start: Message, body: bytes, condition: bytes | None) -> None:
    tag = etag_of(body)
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers += [(b"etag", tag), (b"cache-control", b"private, no-cache")]
    if _matches(condition, tag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
