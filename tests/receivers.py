"""Real HTTP receivers on 127.0.0.1 for delivery tests: a webhook endpoint and a Slack-like endpoint.

Each records every request (path, headers, body) and answers what the test says: `answer` is a function of
the request number that returns (status, headers), so a test can make the receiver fail for a while.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(slots=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A threaded HTTP server collecting POSTs; `answer(n)` gives the reply to the n-th request (0-based)."""

    def __init__(self, answer: Callable[[int], tuple[int, dict[str, str]]] | None = None, delay: float = 0.0):
        self.answer = answer or (lambda n: (200, {}))
        self.delay = delay
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    n = len(receiver.requests)
                    status, headers = receiver.answer(n)
                    receiver.requests.append(
                        Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def accepted(self) -> list[Request]:
        """The requests answered 2xx, in arrival order."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
