"""A faithful fake of Google News' RSS search (`/rss/search?q=..&hl=..&gl=..&ceid=..`).

It serves a recorded feed (tests/fixtures/googlenews/) plus the items `publish` adds on top, with an ETag and a
304 for a matching If-None-Match, filters the items on the query's words and its `when:` window, and can
block the client the two ways Google does: a cookie-consent page served with 200 (`block("consent")`), or a
302 to /sorry/index answered with 429 and the "unusual traffic" page (`block("sorry")`).

Assumptions of the fake (not checked against the live service): the ETag (Google may send none; a 200
every time is then the real behaviour and the seen-ids window does the dedup), and the 400 for a request
without `q` or with an hl/gl/ceid that do not agree, which Vigie must never send.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Literal

from tests.fakeapi import FakeService, Reply, Request

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "googlenews"
RSS_TYPE = "application/xml; charset=utf-8"
_WHEN = re.compile(r"\bwhen:(\d+)([hd])\b")
_PUB_DATE = re.compile(r"<pubDate>([^<]+)</pubDate>")
_TITLE = re.compile(r"<title>([^<]*)</title>")


class GoogleNewsFake(FakeService):
    """One edition's search feed; `publish` adds an item that the next poll sees."""

    def __init__(self, recorded: str = "search_acme_fr.xml") -> None:
        document = (FIXTURES / recorded).read_text(encoding="utf-8")
        head, _, rest = document.partition("\n<item>")
        self.head = head
        body = ("<item>" + rest) if rest else ""
        self.items = [i for i in body.removesuffix("\n</channel></rss>").split("\n") if i.startswith("<item>")]
        self.blocked: Literal["consent", "sorry"] | None = None
        self._next = 0

    def publish(
        self, title: str, publisher: str, *, site: str = "https://www.example.fr", at: float | None = None
    ) -> str:
        """Put a new item first (as Google ranks a fresh story); returns its guid."""
        self._next += 1
        guid = "CBMiakFBVV95cUx" + hashlib.sha256(f"{title}{self._next}".encode()).hexdigest()[:80]
        link = f"https://news.google.com/rss/articles/{guid}?oc=5"
        when = datetime.fromtimestamp(at if at is not None else time.time(), UTC)
        description = (
            f'<a href="{link}" target="_blank">{html.escape(title, quote=False)}</a>&nbsp;&nbsp;'
            f'<font color="#6f6f6f">{html.escape(publisher, quote=False)}</font>'
        )
        self.items.insert(
            0,
            f"<item><title>{html.escape(f'{title} - {publisher}', quote=False)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{guid}</guid><pubDate>{format_datetime(when, usegmt=True)}</pubDate>'
            f"<description>{html.escape(description, quote=False)}</description>"
            f'<source url="{site}">{html.escape(publisher, quote=False)}</source></item>',
        )
        return guid

    def block(self, how: Literal["consent", "sorry"] | None) -> None:
        """Answer every search with Google's consent page or its /sorry/ captcha (None: stop blocking)."""
        self.blocked = how

    def handle(self, request: Request) -> Reply:
        """GET /rss/search like news.google.com answers it."""
        if request.path == "/sorry/index":
            return Reply.raw((FIXTURES / "sorry.html").read_bytes(), "text/html; charset=UTF-8", status=429)
        if request.path != "/rss/search":
            return Reply.html_error(404, title="Error 404 (Not Found)!!1")
        if self.blocked == "consent":
            return Reply.raw((FIXTURES / "consent.html").read_bytes(), "text/html; charset=utf-8")
        if self.blocked == "sorry":
            return Reply(302, b"", {"Location": "/sorry/index?continue=https://news.google.com/rss/search&q=EgQ"})
        query, hl, gl, ceid = (request.arg(k) or "" for k in ("q", "hl", "gl", "ceid"))
        if not query or ceid != f"{gl}:{ceid.partition(':')[2]}" or not hl.startswith(ceid.partition(":")[2][:2]):
            return Reply.raw(b"fake: q, hl, gl and ceid must be given and agree", "text/plain", status=400)
        body = self.render(query).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply.raw(body, RSS_TYPE, headers={"ETag": etag})

    def render(self, query: str) -> str:
        """The feed for `query`: items whose title has one of its words, within its `when:` window."""
        window = _WHEN.search(query)
        words = [w.strip('"').lower() for w in _WHEN.sub("", query).split() if w not in ("OR", "AND")]
        since = None
        if window:
            since = time.time() - int(window.group(1)) * (3600 if window.group(2) == "h" else 86400)
        kept = [i for i in self.items if _matches(i, words) and _recent(i, since)]
        return self.head + "".join("\n" + i for i in kept) + "\n</channel></rss>"


def _matches(item: str, words: list[str]) -> bool:
    title = _TITLE.search(item)
    text = html.unescape(title.group(1)).lower() if title else ""
    return any(w and w in text for w in words)


def _recent(item: str, since: float | None) -> bool:
    if since is None:
        return True
    date = _PUB_DATE.search(item)
    return date is not None and parsedate_to_datetime(date.group(1)).timestamp() >= since
