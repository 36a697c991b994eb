"""A faithful fake of the Stack Exchange API 2.3 `search/advanced`: the common wrapper, paging (has_more),
fromdate, tagged, the daily quota, `backoff`, errors as HTTP 400 with an error wrapper, and gzip on every answer."""

from __future__ import annotations

import gzip
import html
import json
import time
from typing import Any

from tests.fakeapi import FakeService, Reply, Request

SITES = {"stackoverflow": "stackoverflow.com", "superuser": "superuser.com", "ja.stackoverflow": "ja.stackoverflow.com"}


def gzipped(document: Any, status: int = 200) -> Reply:
    """A JSON answer gzipped, as the API always sends them."""
    body = gzip.compress(json.dumps(document, ensure_ascii=False).encode())
    headers = {"Content-Type": "application/json; charset=utf-8", "Content-Encoding": "gzip"}
    return Reply(status, body, headers)


def api_error(error_id: int, name: str, message: str) -> Reply:
    """An error wrapper with HTTP 400, the way the API reports every error (throttle_violation included)."""
    return gzipped({"error_id": error_id, "error_message": message, "error_name": name}, status=400)


def throttle_violation(seconds: int = 46472) -> Reply:
    """What an address that spent its quota (or sent too many requests) gets."""
    return api_error(
        502, "throttle_violation", f"too many requests from this IP, more requests available in {seconds} seconds"
    )


class StackExchangeFake(FakeService):
    """Questions kept newest first; `add_question` publishes one. Counts the quota per key (or per address)."""

    def __init__(self, quota_max: int = 300) -> None:
        self.questions: list[dict[str, Any]] = []
        self.quota_max = quota_max
        self.used: dict[str, int] = {}
        self.backoff_next: int | None = None  # seconds put in the `backoff` field of the next answer
        self._next_id = 79_300_000

    def add_question(
        self,
        title: str,
        body: str = "<p>...</p>",
        *,
        at: int | None = None,
        tags: list[str] | None = None,
        site: str = "stackoverflow",
        owner: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Publish a question (title as plain text: the fake escapes it like the API); returns the item."""
        self._next_id += 1
        at = at if at is not None else int(time.time())
        item = {
            "tags": tags or ["acme"],
            "owner": owner
            or {
                "account_id": 1,
                "reputation": 101,
                "user_id": 2,
                "user_type": "registered",
                "display_name": "dev",
                "link": f"https://{SITES[site]}/users/2/dev",
            },
            "is_answered": False,
            "view_count": 10,
            "answer_count": 0,
            "score": 0,
            "last_activity_date": at,
            "creation_date": at,
            "question_id": self._next_id,
            "content_license": "CC BY-SA 4.0",
            "link": f"https://{SITES[site]}/questions/{self._next_id}/q",
            "title": html.escape(title),
            "body": body,
            "_site": site,
            **extra,
        }
        self.questions.append(item)
        self.questions.sort(key=lambda q: q["creation_date"], reverse=True)
        return item

    def handle(self, request: Request) -> Reply:
        """GET /2.3/search/advanced like the API answers it."""
        if request.path != "/2.3/search/advanced":
            return api_error(404, "no_method", "this method cannot be found")
        site = request.arg("site")
        if not site:
            return api_error(400, "bad_parameter", "site is required")
        if site not in SITES:
            return api_error(400, "bad_parameter", f"No site found for name `{site}`")
        who = request.arg("key") or "address"
        quota_max = 10_000 if request.arg("key") else self.quota_max
        if self.used.get(who, 0) >= quota_max:
            return throttle_violation()
        self.used[who] = self.used.get(who, 0) + 1
        page = int(request.arg("page") or 1)
        size = min(int(request.arg("pagesize") or 30), 100)
        fromdate = int(request.arg("fromdate") or 0)
        q = (request.arg("q") or "").lower()
        tagged = [t for t in (request.arg("tagged") or "").split(";") if t]
        selected = [
            item
            for item in self.questions
            if item["_site"] == site
            and item["creation_date"] >= fromdate
            and (not q or q in html.unescape(item["title"]).lower() or q in item["body"].lower())
            and all(t in item["tags"] for t in tagged)
        ]
        chunk = selected[(page - 1) * size : page * size]
        with_body = request.arg("filter") == "withbody"
        items = [{k: v for k, v in i.items() if k != "_site" and (with_body or k != "body")} for i in chunk]
        wrapper: dict[str, Any] = {
            "items": items,
            "has_more": page * size < len(selected),
            "quota_max": quota_max,
            "quota_remaining": quota_max - self.used[who],
        }
        if self.backoff_next is not None:
            wrapper["backoff"] = self.backoff_next
            self.backoff_next = None
        return gzipped(wrapper)
