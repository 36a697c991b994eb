"""A faithful fake of the iTunes customer-reviews RSS feed in JSON
(`/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`).

Reviews are kept per storefront, newest first, and served 50 a page with the feed's `link` list (rel="last"
names the last page, at most 10). Like Apple: page 11 and beyond is an HTTP 400 with a plain-text message;
`entry` is an object when a page holds one review and is missing when it holds none; `old_shape=True` lists
the app itself first on page 1 and leaves `updated` out of the reviews, as answers did until ~2021;
`empty_once(country, page)` serves one empty page, as Apple does now and then.
"""

from __future__ import annotations

import json
import math
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.fakeapi import FakeService, Reply, Request

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "appstore"
PAGE_SIZE = 50
MAX_PAGES = 10
PAGE_DEPTH = (FIXTURES / "page_depth.txt").read_bytes()  # "CustomerReviews RSS page depth is limited to 10"
_PATH = re.compile(r"^/([a-z]{2})/rss/customerreviews/page=(\d+)/id=(\d+)/sortby=mostrecent/json$")
_PACIFIC = timezone(timedelta(hours=-8))  # Apple dates reviews in Cupertino time


def _label(value: str) -> dict[str, str]:
    return {"label": value}


class AppStoreFake(FakeService):
    """One app's reviews per storefront; `add_review` publishes one (ids increase, like Apple's)."""

    def __init__(self, app_id: str = "1528376482", *, old_shape: bool = False) -> None:
        self.app_id = app_id
        self.old_shape = old_shape
        self.reviews: dict[str, list[dict[str, Any]]] = {}
        self._next_id = 14_731_400_000
        self._hiccups: set[tuple[str, int]] = set()
        self._refused: dict[str, Reply] = {}

    def load(self, country: str, recorded: str) -> None:
        """The reviews of a recorded page (tests/fixtures/appstore/) become the storefront's reviews."""
        entries = json.loads((FIXTURES / recorded).read_text(encoding="utf-8"))["feed"].get("entry") or []
        entries = entries if isinstance(entries, list) else [entries]
        self.reviews.setdefault(country, []).extend(e for e in entries if "im:rating" in e)
        self.reviews[country].sort(key=lambda e: int(e["id"]["label"]), reverse=True)

    def add_review(
        self,
        country: str,
        title: str,
        content: str,
        *,
        rating: int = 1,
        version: str = "5.2.0",
        author: str = "client",
        at: float | None = None,
    ) -> str:
        """Publish a review written at `at` (epoch seconds, default now); returns its id."""
        self._next_id += 1
        written = datetime.fromtimestamp(at if at is not None else time.time(), _PACIFIC)
        review = {
            "author": {
                "uri": _label(f"https://itunes.apple.com/{country}/reviews/id{self._next_id % 10**9}"),
                "name": _label(author),
                "label": "",
            },
            "updated": _label(written.isoformat(timespec="seconds")),
            "im:rating": _label(str(rating)),
            "im:version": _label(version),
            "id": _label(str(self._next_id)),
            "title": _label(title),
            "content": {"label": content, "attributes": {"type": "text"}},
            "link": {
                "attributes": {
                    "rel": "related",
                    "href": f"https://itunes.apple.com/{country}/review?id={self.app_id}&type=Purple%20Software",
                }
            },
            "im:voteSum": _label("0"),
            "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
            "im:voteCount": _label("0"),
        }
        self.reviews.setdefault(country, []).insert(0, review)
        return str(self._next_id)

    def empty_once(self, country: str, page: int) -> None:
        """Serve `page` of `country` once without any review (Apple's intermittent empty page)."""
        self._hiccups.add((country, page))

    def fail_storefront(self, country: str, reply: Reply) -> None:
        """Answer every request for `country` with `reply` (a 403 or 429 on one storefront only)."""
        self._refused[country] = reply

    def handle(self, request: Request) -> Reply:
        """GET a reviews page like itunes.apple.com answers it."""
        match = _PATH.match(request.path)
        if match is None:
            return Reply.html_error(404, title="Not Found")
        country, page, app_id = match.group(1), int(match.group(2)), match.group(3)
        if country in self._refused:
            return self._refused[country]
        if page > MAX_PAGES:
            return Reply.raw(PAGE_DEPTH, "text/plain; charset=UTF-8", status=400)
        reviews = self.reviews.get(country, []) if app_id == self.app_id else []
        chunk = reviews[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if (country, page) in self._hiccups:
            self._hiccups.discard((country, page))
            chunk = []
        if self.old_shape:
            chunk = [{k: v for k, v in r.items() if k != "updated"} for r in chunk]
            if page == 1:
                chunk = [self._app_entry(country), *chunk]
        last = max(1, min(MAX_PAGES, math.ceil(len(reviews) / PAGE_SIZE)))
        return Reply.json(self._feed(country, page, last, chunk), headers={"Content-Type": "application/json"})

    def _feed(self, country: str, page: int, last: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
        base = f"https://itunes.apple.com/{country}/rss/customerreviews"
        desc = f"?urlDesc=/customerreviews/page={page}/id={self.app_id}/sortby=mostrecent/json"

        def link(rel: str, n: int) -> dict[str, Any]:
            return {"attributes": {"rel": rel, "href": f"{base}/page={n}/id={self.app_id}/sortby=mostrecent/xml{desc}"}}

        feed: dict[str, Any] = {
            "author": {"name": _label("iTunes Store"), "uri": _label(f"http://www.apple.com/{country}/itunes/")}
        }
        if entries:
            feed["entry"] = entries[0] if len(entries) == 1 else entries
        feed.update(
            updated=_label(datetime.now(_PACIFIC).isoformat(timespec="seconds")),
            rights=_label("Copyright 2008 Apple Inc."),
            title=_label("iTunes Store : Avis clients"),
            icon=_label("http://itunes.apple.com/favicon.ico"),
            link=[
                {
                    "attributes": {
                        "rel": "alternate",
                        "type": "text/html",
                        "href": f"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc={country}&id=1000&mt=8",
                    }
                },
                {"attributes": {"rel": "self", "href": f"{base}/page={page}/id={self.app_id}/sortby=mostrecent/json"}},
                link("first", 1),
                link("last", last),
                link("previous", max(1, page - 1)),
                link("next", min(last, page + 1)),
            ],
            id=_label(f"{base}/page={page}/id={self.app_id}/sortby=mostrecent/json"),
        )
        return {"feed": feed}

    def _app_entry(self, country: str) -> dict[str, Any]:
        return {
            "im:name": _label("Acme – Banque mobile"),
            "rights": _label("© 2026 Acme SAS"),
            "im:price": {"label": "Obtenir", "attributes": {"amount": "0.00000", "currency": "EUR"}},
            "summary": _label("Acme, la banque mobile qui vous simplifie la vie."),
            "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
            "title": _label("Acme – Banque mobile - Acme SAS"),
            "id": {
                "label": f"https://apps.apple.com/{country}/app/acme-banque-mobile/id{self.app_id}?uo=2",
                "attributes": {"im:id": self.app_id, "im:bundleId": "com.acme.banking"},
            },
            "im:releaseDate": {"label": "2020-09-14T00:00:00-07:00", "attributes": {"label": "14 septembre 2020"}},
        }
