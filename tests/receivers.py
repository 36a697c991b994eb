"""Real HTTP receivers on 127.0.0.1 for delivery tests: a webhook endpoint and a Slack-like endpoint.

Each records every request (path, headers, body) and answers what the test says: `answer` is a function of
the request number that returns (status, headers), so a test can make the receiver fail for a while, and
`hold` (optional) gives how many seconds to sit on the n-th request before answering, so a test can kill
the sender mid-request. A held request still unanswered at `close()` is dropped without an answer.
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
    status: int  # what the receiver answered (or was going to answer: see `answered_at`)
    received_at: float = 0.0  # time.monotonic() when the body was read
    answered_at: float | None = None  # time.monotonic() once the answer was written; None if never sent

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A threaded HTTP server collecting POSTs; `answer(n)` gives the reply to the n-th request (0-based)."""

    def __init__(
        self,
        answer: Callable[[int], tuple[int, dict[str, str]]] | None = None,
        delay: float = 0.0,
        hold: Callable[[int], float] | None = None,
    ):
        self.answer = answer or (lambda n: (200, {}))
        self.delay = delay
        self.hold = hold
        self.closing = threading.Event()
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                arrived = time.monotonic()
                with receiver.lock:
                    n = len(receiver.requests)
                    status, headers = receiver.answer(n)
                    request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status, arrived)
                    receiver.requests.append(request)
                if receiver.delay:
                    time.sleep(receiver.delay)
                held = receiver.hold(n) if receiver.hold else 0.0
                if held and receiver.closing.wait(held):
                    return  # closing: drop the held request unanswered (its sender is usually dead by now)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                self.wfile.flush()
                request.answered_at = time.monotonic()

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

    def answered(self) -> list[Request]:
        """The requests whose 2xx answer was actually written, in arrival order."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300 and r.answered_at is not None]

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
