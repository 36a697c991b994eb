"""A faithful fake of Reddit's public search JSON: Listings, `after` paging, restrict_sr, NSFW filtering,
the rate-limit headers, the redirect of an unknown subreddit, and Reddit's own error answers."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

from tests.fakeapi import FakeService, Reply, Request

_SEARCH = re.compile(r"^(?:/r/(?P<subs>[A-Za-z0-9_+]+))?/search\.json$")
BLOCKED_PAGE = (
    b"<!doctype html><html><head><title>Blocked</title></head><body><p>Your request has been blocked due to a "
    b"network policy.</p><p>Try logging in or creating an account here to get back to browsing.</p></body></html>"
)


def blocked() -> Reply:
    """Reddit's answer to a blocked network or client: 403 with an HTML page."""
    return Reply.raw(BLOCKED_PAGE, "text/html; charset=utf-8", status=403)


def too_many_requests(retry_after: int | None = None) -> Reply:
    """Reddit's 429: a small JSON body, the rate-limit headers, Retry-After only sometimes."""
    headers = {"x-ratelimit-used": "100", "x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "300"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Reply.json({"message": "Too Many Requests", "error": 429}, status=429, headers=headers)


class RedditFake(FakeService):
    """Posts are kept newest first; `add_post` publishes one (as a later poll would see it).

    `window` is the number of requests left in the current rate-limit window (Reddit's x-ratelimit-remaining),
    `reset` the seconds until it resets; every answer carries both, the way Reddit sends them.
    """

    def __init__(self, *, window: int = 100, reset: int = 420) -> None:
        self.posts: list[dict[str, Any]] = []
        self.window = window
        self.reset = reset
        self.used = 0
        self.subreddits: set[str] = {"france", "sysadmin"}
        self._next_id = 46_000_000_000

    def add_post(
        self,
        title: str,
        *,
        selftext: str = "",
        at: float | None = None,
        subreddit: str = "france",
        author: str = "alice",
        score: int = 1,
        num_comments: int = 0,
        over_18: bool = False,
        url: str | None = None,
    ) -> dict[str, Any]:
        """Publish a post; returns its `data`."""
        self._next_id += 1
        post_id = _base36(self._next_id)
        at = at if at is not None else time.time()
        self.subreddits.add(subreddit.lower())
        permalink = f"/r/{subreddit}/comments/{post_id}/{quote(title[:40].lower().replace(' ', '_'))}/"
        data = {
            "subreddit": subreddit,
            "subreddit_name_prefixed": f"r/{subreddit}",
            "selftext": selftext,
            "title": title,
            "name": f"t3_{post_id}",
            "id": post_id,
            "author": author,
            "author_fullname": None if author == "[deleted]" else f"t2_{post_id}",
            "score": score,
            "ups": score,
            "upvote_ratio": 1.0,
            "num_comments": num_comments,
            "over_18": over_18,
            "is_self": url is None,
            "domain": f"self.{subreddit}" if url is None else url.split("/")[2],
            "permalink": permalink,
            "url": url or f"https://www.reddit.com{permalink}",
            "created": float(int(at)),
            "created_utc": float(int(at)),
            "stickied": False,
            "subreddit_type": "public",
        }
        self.posts.append(data)
        self.posts.sort(key=lambda p: p["created_utc"], reverse=True)
        return data

    def handle(self, request: Request) -> Reply:
        """GET /search.json and /r/<sub>/search.json like Reddit answers them to a client without an account."""
        if request.path == "/subreddits/search.json":
            return self._answer({"kind": "Listing", "data": {"after": None, "dist": 0, "children": []}})
        match = _SEARCH.match(request.path)
        if match is None:
            return Reply.json({"message": "Not Found", "error": 404}, status=404)
        subs = {s.lower() for s in (match.group("subs") or "").split("+") if s}
        if subs - self.subreddits:
            # Reddit sends an unknown subreddit's search to the subreddit search page.
            where = f"/subreddits/search.json?q={quote(next(iter(subs - self.subreddits)))}"
            return Reply(302, b"", {"Location": where, "Content-Type": "text/html"})
        query = (request.arg("q") or "").lower()
        restrict = request.arg("restrict_sr") in ("on", "1", "true")
        with_nsfw = request.arg("include_over_18") in ("on", "1", "true")
        limit = min(int(request.arg("limit") or 25), 100)
        selected = []
        for post in self.posts:
            if query and query not in f"{post['title']} {post['selftext']}".lower():
                continue
            if subs and restrict and post["subreddit"].lower() not in subs:
                continue
            if post["over_18"] and not with_nsfw:
                continue
            selected.append(post)
        start = 0
        after = request.arg("after")
        if after:
            names = [p["name"] for p in selected]
            start = names.index(after) + 1 if after in names else len(selected)
        chunk = selected[start : start + limit]
        more = start + limit < len(selected)
        return self._answer(
            {
                "kind": "Listing",
                "data": {
                    "after": chunk[-1]["name"] if chunk and more else None,
                    "dist": len(chunk),
                    "modhash": "",
                    "geo_filter": "",
                    "facets": {},
                    "children": [{"kind": "t3", "data": p} for p in chunk],
                    "before": None,
                },
            }
        )

    def _answer(self, document: dict[str, Any]) -> Reply:
        self.used += 1
        self.window = max(0, self.window - 1)
        headers = {
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-remaining": f"{float(self.window):.1f}",
            "x-ratelimit-reset": str(self.reset),
        }
        return Reply.json(document, headers=headers)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
