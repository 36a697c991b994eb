"""A real HTTP server on 127.0.0.1 for the fakes of public APIs that collectors talk to.

A fake service is a `FakeService` subclass whose `handle(request)` returns a `Reply`; the server records every
request and can be told to fail the next N requests (429 with Retry-After, 403, an HTML error page...) the way
the real service does. Use it as a context manager:

    with FakeApi(HackerNewsFake()) as api:
        url = api.url("/api/v1/search_by_date")
        api.fail_next(1, Reply.html_error(429, retry_after=30))
        ...
        api.requests  # [Request(...), ...]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(slots=True)
class Request:
    """One request as the fake saw it: query values are lists (a key may repeat)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)  # when it arrived

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body or b"null")


@dataclass(slots=True)
class Reply:
    """An answer: status, headers and body bytes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """A JSON answer."""
        body = json.dumps(document, ensure_ascii=False).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def raw(cls, body: bytes, content_type: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """Bytes as they are (a recorded payload, an RSS document)."""
        return cls(status, body, {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def html_error(cls, status: int, *, retry_after: int | None = None, title: str = "Too Many Requests") -> Reply:
        """An HTML error page, the way CDNs and rate limiters answer."""
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        body = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return cls(status, body.encode(), headers)


class FakeService:
    """Base of a fake: answer one request. Subclasses keep their own data and paging rules."""

    def handle(self, request: Request) -> Reply:  # pragma: no cover - abstract
        """The answer to `request`."""
        return Reply(404, b"not found", {"Content-Type": "text/plain"})


class FakeApi:
    """Serves a FakeService on 127.0.0.1 (port chosen by the OS) from a background thread."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.requests: list[Request] = []
        self._failures: list[Reply] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeApi:
        handler = type("FakeApiHandler", (_Handler,), {"fake": self})
        httpd = _QuietServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = False
        httpd.block_on_close = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        assert self._httpd is not None, "FakeApi is not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str = "") -> str:
        """Absolute URL of `path` on the fake."""
        return self.base + path

    def fail_next(self, count: int, reply: Reply) -> None:
        """Answer the next `count` requests with `reply` instead of asking the service."""
        with self._lock:
            self._failures.extend([reply] * count)

    def paths(self) -> list[str]:
        """Paths of the requests received, in order."""
        with self._lock:
            return [r.path for r in self.requests]

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._failures:
                return self._failures.pop(0)
        return self.service.handle(request)


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up (an error status needs no body; a test that is done) are not the fake's problem."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeApi
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=method,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            reply = self.fake._answer(request)
        except Exception as exc:  # a bug in a fake shows as a 500 with its cause, not a hung test
            reply = Reply(500, f"fake crashed: {exc!r}".encode(), {"Content-Type": "text/plain"})
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (an error status needs no body): not the fake's problem

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        return
