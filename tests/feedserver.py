"""A real HTTP server on 127.0.0.1 serving feeds to tests: conditional GET, redirects, slow and huge answers.

Use it as a context manager: `with FeedServer() as server: server.add("/feed.xml", body, etag='"v1"')`,
then fetch `server.url("/feed.xml")` and look at `server.hits(...)`, `server.requests`. `add_dynamic` serves a
feed that changes from one request to the next (the body is made per request by the test's function).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

_STREAM_CHUNK = 64 * 1024


@dataclass(slots=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str  # without the query string
    target: str  # the raw request target, query string included
    headers: dict[str, str]  # lower-case names
    started: float  # time.monotonic()
    ended: float = 0.0
    number: int = 0  # the n-th request to this path (0-based)


@dataclass(slots=True)
class _Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    stream_bytes: int | None = None  # set for add_stream routes
    trickle: float = 0.0  # seconds between two stream chunks (a server that sends slowly but never stops)
    render: Callable[[int], bytes] | None = None  # set for add_dynamic routes: the body of the n-th request


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) overflows when a few dozen fetchers connect at once; the kernel then drops
    # SYNs and clients retry a second later, which would show up as scheduling delays that are not Vigie's.
    request_queue_size = 128


class FeedServer:
    """Serves registered paths on 127.0.0.1 (port chosen by the OS) from a background thread."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self._failures: dict[str, tuple[int, dict[str, str]]] = {}
        self._requests: list[RecordedRequest] = []
        self._counts: dict[str, int] = {}
        self._active: dict[str, int] = {}
        self._max_active: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FeedServer:
        """Bind and start serving; `with FeedServer() as server` calls this."""
        handler = type("FeedHandler", (_FeedHandler,), {"feed_server": self})
        httpd = _Server(("127.0.0.1", 0), handler)
        # Handler threads are joined by server_close() (no daemon threads): nothing outlives the server.
        httpd.daemon_threads = False
        httpd.block_on_close = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="feedserver", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, wake slow handlers and wait for every thread and socket to close."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- configuration ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("FeedServer is not started")
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        """Absolute http://127.0.0.1:PORT URL of `path`."""
        return f"http://127.0.0.1:{self.port}{path if path.startswith('/') else '/' + path}"

    def add(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml",
        etag: str | None = None,
        last_modified: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Serve `body` at `path`; 304 when the request's If-None-Match / If-Modified-Since match."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        route = _Route(status, body, all_headers, etag, last_modified, delay)
        with self._lock:
            self._routes[path] = route

    def add_dynamic(
        self,
        path: str,
        render: Callable[[int], bytes],
        *,
        content_type: str = "application/rss+xml",
        delay: float = 0.0,
    ) -> None:
        """Serve at `path` the body `render(n)` for its n-th request (0-based), made once `delay` has passed:
        a feed that changes between fetches. `render` runs in the server's handler threads."""
        route = _Route(headers={"Content-Type": content_type}, delay=delay, render=render)
        with self._lock:
            self._routes[path] = route

    def set_delay(self, path: str, delay: float) -> None:
        """Change how long `path` makes its requests wait before answering."""
        with self._lock:
            self._routes[path].delay = delay

    def add_redirect(self, path: str, location: str, status: int = 301) -> None:
        """Answer `path` with a redirect to `location` (absolute or relative, sent as given)."""
        with self._lock:
            self._routes[path] = _Route(status=status, headers={"Location": location})

    def add_stream(
        self, path: str, total_bytes: int, *, content_type: str = "application/rss+xml", trickle: float = 0.0
    ) -> None:
        """Serve `total_bytes` generated bytes in chunks, without Content-Length and without holding them.

        With `trickle`, wait that many seconds before each chunk (chunks are then 64 bytes).
        """
        route = _Route(headers={"Content-Type": content_type}, stream_bytes=total_bytes, trickle=trickle)
        with self._lock:
            self._routes[path] = route

    def set_failure(self, path: str, status: int | None, *, headers: dict[str, str] | None = None) -> None:
        """Make `path` answer `status` (with `headers`) until called again with status=None."""
        with self._lock:
            if status is None:
                self._failures.pop(path, None)
            else:
                self._failures[path] = (status, dict(headers or {}))

    # -- observation -----------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def hits(self, path: str) -> int:
        """How many requests reached `path` (query string ignored)."""
        with self._lock:
            return sum(1 for r in self._requests if r.path == path)

    def max_concurrency(self, path: str) -> int:
        """The largest number of requests to `path` that were being served at the same time."""
        with self._lock:
            return self._max_active.get(path, 0)

    # -- serving (called from handler threads) ---------------------------------------------------------

    def _begin(self, method: str, target: str, headers: dict[str, str]) -> RecordedRequest:
        path = urlsplit(target).path or "/"
        record = RecordedRequest(method, path, target, headers, time.monotonic())
        with self._lock:
            record.number = self._counts.get(path, 0)
            self._counts[path] = record.number + 1
            self._requests.append(record)
            self._active[path] = self._active.get(path, 0) + 1
            self._max_active[path] = max(self._max_active.get(path, 0), self._active[path])
        return record

    def _end(self, record: RecordedRequest) -> None:
        with self._lock:
            record.ended = time.monotonic()
            self._active[record.path] -= 1

    def _lookup(self, path: str) -> tuple[_Route | None, tuple[int, dict[str, str]] | None]:
        with self._lock:
            return self._routes.get(path), self._failures.get(path)


def _not_modified(route: _Route, headers: dict[str, str]) -> bool:
    # RFC 9110: If-None-Match wins over If-Modified-Since when both are sent.
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None and route.etag is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or route.etag in tags
    if_modified_since = headers.get("if-modified-since")
    return if_modified_since is not None and if_modified_since == route.last_modified


class _FeedHandler(BaseHTTPRequestHandler):
    """Answers one request from the routes of `feed_server` (set on a per-server subclass)."""

    feed_server: FeedServer
    protocol_version = "HTTP/1.0"  # one request per connection: the body ends when the socket closes

    def do_GET(self) -> None:  # noqa: N802 (name required by BaseHTTPRequestHandler)
        headers = {name.lower(): value for name, value in self.headers.items()}
        record = self.feed_server._begin(self.command, self.path, headers)
        try:
            self._answer(record, headers)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client gave up (size cap, timeout): expected in tests
        finally:
            self.feed_server._end(record)

    do_HEAD = do_GET

    def _answer(self, record: RecordedRequest, headers: dict[str, str]) -> None:
        route, failure = self.feed_server._lookup(record.path)
        if failure is not None:
            self._send(failure[0], {"Content-Type": "text/plain", **failure[1]}, b"failure")
        elif route is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
        elif route.delay and self.feed_server._stopping.wait(route.delay):
            return  # the server is shutting down: drop the connection
        elif route.stream_bytes is not None:
            self._stream(route)
        elif route.render is not None:
            self._send(200, route.headers, route.render(record.number))
        elif _not_modified(route, headers):
            self._send(304, self._validators(route), b"")
        else:
            self._send(route.status, {**route.headers, **self._validators(route)}, route.body)

    def _validators(self, route: _Route) -> dict[str, str]:
        found = {"ETag": route.etag, "Last-Modified": route.last_modified}
        return {name: value for name, value in found.items() if value is not None}

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def _stream(self, route: _Route) -> None:
        self.send_response(200)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        size = 64 if route.trickle else _STREAM_CHUNK
        chunk = b"<!-- " + b"x" * (size - 10) + b" -->\n"
        remaining = route.stream_bytes or 0
        while remaining > 0 and not self.feed_server._stopping.wait(route.trickle):
            piece = chunk if remaining >= len(chunk) else chunk[:remaining]
            self.wfile.write(piece)
            remaining -= len(piece)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass  # keep test output clean; requests are recorded in server.requests
