"""A feed server in a process of its own, for the collector benchmarks (bench/polling.py, bench/scaling.py).

It is `tests/feedserver.py`'s FeedServer, unchanged, started in a spawned process so that serving feeds does
not compete with the benchmark's own threads for one GIL. `setup(server, arg)` registers the routes in that
process (it must be a module-level function: it is pickled by name); the parent gets the port and can ask for
the number of requests served so far. The feeds are bench/ingest.py's generated RSS items; `feed_document`
can make one whose every answer carries new items.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/ is not installed: the repository root makes `tests.feedserver` importable
    sys.path.insert(0, str(ROOT))

from ingest import SITES, _item, _render  # noqa: E402

from tests.feedserver import FeedServer  # noqa: E402

Setup = Callable[[FeedServer, Any], None]
TOKEN = b"@@N@@"  # in a changing feed, replaced by the request number: each answer carries new items


def feed_document(rng: random.Random, i: int, items: int, *, changing: bool = False, ttl: bool = True) -> bytes:
    """RSS bytes of feed `i` (bench/ingest.py's generator: French or English news, ~80% about the brands).

    `changing`: ids, links and titles carry TOKEN, for `serve_changing` (new ids and a new content hash at every
    request, so that ingest stores the items). `ttl=False` drops the feed's <ttl> (15 minutes), which would
    otherwise space the checks of the source by 15 minutes whatever its interval."""
    site, lang = SITES[i % len(SITES)], "fr" if i % 5 < 3 else "en"
    made = [_item(rng, lang, i, n, site) for n in range(items)]
    if changing:
        token = TOKEN.decode()
        for it in made:
            it["title"] = f"{it['title']} ({token})"
            it["guid"] = it["guid"].replace(".html", f"-{token}.html")
            it["link"] = it["link"].replace(".html", f"-{token}.html")
    body = _render(i, site, lang, made)
    return body if ttl else body.replace(b"<ttl>15</ttl>", b"")


def serve_changing(server: FeedServer, path: str, template: bytes) -> None:
    """Serve at `path` the n-th answer `template` with TOKEN replaced by n (always 200: no validators)."""
    server.add_dynamic(path, lambda n: template.replace(TOKEN, str(n).encode()))


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
