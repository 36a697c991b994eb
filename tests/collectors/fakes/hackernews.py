"""A faithful fake of Algolia's Hacker News search_by_date API (paging, numericFilters, tags, query)."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakeapi import FakeService, Reply, Request

_FILTER = re.compile(r"^created_at_i(>=|>|<=|<|=)(\d+)$")


class HackerNewsFake(FakeService):
    """Hits are kept newest first; `add_story` / `add_comment` publish new ones (as a new poll would see)."""

    def __init__(self) -> None:
        self.hits: list[dict[str, Any]] = []
        self._next_id = 42_000_000

    def add_story(self, title: str, *, at: int | None = None, points: int = 1, **extra: Any) -> dict[str, Any]:
        """Publish a story; returns the hit."""
        self._next_id += 1
        at = at if at is not None else int(time.time())
        hit = {
            "_tags": ["story", f"author_{extra.get('author', 'alice')}", f"story_{self._next_id}"],
            "author": "alice",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
            "created_at_i": at,
            "num_comments": 0,
            "objectID": str(self._next_id),
            "points": points,
            "story_id": self._next_id,
            "title": title,
            "url": f"https://example.com/{self._next_id}",
            **extra,
        }
        self.hits.append(hit)
        self.hits.sort(key=lambda h: h["created_at_i"], reverse=True)
        return hit

    def add_comment(self, text: str, *, story_title: str, at: int | None = None) -> dict[str, Any]:
        """Publish a comment; returns the hit."""
        self._next_id += 1
        at = at if at is not None else int(time.time())
        hit = {
            "_tags": ["comment", "author_bob", "story_1"],
            "author": "bob",
            "comment_text": text,
            "created_at_i": at,
            "objectID": str(self._next_id),
            "parent_id": 1,
            "story_id": 1,
            "story_title": story_title,
        }
        self.hits.append(hit)
        self.hits.sort(key=lambda h: h["created_at_i"], reverse=True)
        return hit

    def handle(self, request: Request) -> Reply:
        """GET /api/v1/search_by_date like Algolia answers it."""
        if request.path != "/api/v1/search_by_date":
            return Reply.json({"message": "Not Found", "status": 404}, status=404)
        query = (request.arg("query") or "").lower()
        tags = request.arg("tags") or ""
        wanted = {t for t in re.split(r"[(),]", tags) if t}
        per_page = min(int(request.arg("hitsPerPage") or 20), 1000)
        page = int(request.arg("page") or 0)
        selected = []
        for hit in self.hits:
            text = " ".join(str(hit.get(k) or "") for k in ("title", "comment_text", "story_text")).lower()
            if query and query not in text:
                continue
            if wanted and not wanted.intersection(hit["_tags"]):
                continue
            if not _numeric_ok(hit, request.arg("numericFilters") or ""):
                continue
            selected.append(hit)
        pages = (len(selected) + per_page - 1) // per_page
        chunk = selected[page * per_page : (page + 1) * per_page]
        return Reply.json(
            {
                "hits": chunk,
                "hitsPerPage": per_page,
                "nbHits": len(selected),
                "nbPages": pages,
                "page": page,
                "params": "",
                "processingTimeMS": 1,
                "query": query,
            }
        )


def _numeric_ok(hit: dict[str, Any], filters: str) -> bool:
    for part in filter(None, filters.split(",")):
        match = _FILTER.match(part.strip())
        if match is None:
            raise ValueError(f"bad numericFilters {part!r}")
        op, value = match.group(1), int(match.group(2))
        at = hit["created_at_i"]
        ok = {">=": at >= value, ">": at > value, "<=": at <= value, "<": at < value, "=": at == value}[op]
        if not ok:
            return False
    return True
