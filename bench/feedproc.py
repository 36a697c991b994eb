"""A feed server in a process of its own, for the collector benchmarks (bench/polling.py, bench/scaling.py).

It is `tests/feedserver.py`'s FeedServer, unchanged, started in a spawned process so that serving feeds does
not compete with the benchmark's own threads for one GIL. `setup(server, arg)` registers the routes in that
process (it must be a module-level function: it is pickled by name); the parent gets the port and can ask for
the number of requests served so far.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/ is not installed: the repository root makes `tests.feedserver` importable
    sys.path.insert(0, str(ROOT))

from tests.feedserver import FeedServer  # noqa: E402

Setup = Callable[[FeedServer, Any], None]


def _serve(conn: Connection, setup: Setup, arg: Any) -> None:
    with FeedServer() as server:
        setup(server, arg)
        conn.send(server.port)
        while True:
            command = conn.recv()
            if command == "stop":
                break
            if command == "hits":
                conn.send(len(server.requests))


class FeedProcess:
    """A running feed server process; `url(path)` addresses it, `close()` stops it."""

    def __init__(self, setup: Setup, arg: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, setup, arg), name="bench-feedserver", daemon=True)
        self.process.start()
        if not self._conn.poll(120):
            self.close()
            raise RuntimeError("the feed server process did not start within 120 s")
        self.port: int = self._conn.recv()

    def url(self, path: str) -> str:
        """Absolute http://127.0.0.1:PORT URL of `path`."""
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    def hits(self) -> int:
        """Requests served so far."""
        self._conn.send("hits")
        return self._conn.recv()

    def close(self) -> None:
        """Stop the server and its process."""
        if self.process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send("stop")
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(timeout=5)
        self._conn.close()
