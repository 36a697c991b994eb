"""Hacker News through Algolia's `search_by_date`: stories and comments mentioning a query, newest first.

API: https://hn.algolia.com/api — `GET /api/v1/search_by_date?query=..&tags=(story,comment)
&numericFilters=created_at_i>=N&hitsPerPage=100&page=P`. Answers `{"hits": [...], "page", "nbPages", ...}`.
Incremental on `created_at_i`: the cursor keeps the newest timestamp seen and the ids seen at it, so an item
published in the same second as the last one is neither lost nor stored twice. Algolia allows 10,000 requests
an hour per address; Vigie spaces its requests by PACE seconds per host, across all sources.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from collectors.api import ApiCollector, Params, SeenWindow, counts, from_timestamp
from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher
from collectors.text import clean_title, html_to_text

PACE = 1.0  # seconds between two requests to the host
HITS_PER_PAGE = 100
ITEM_URL = "https://news.ycombinator.com/item?id={}"
_TAGS = {"story": "story", "comment": "comment", "all": "(story,comment)"}


class HackerNewsParams(Params):
    """Parameters of a `hackernews` source."""

    query: str = Field(min_length=1, max_length=200, description="words searched in stories and comments")
    tags: Literal["all", "story", "comment"] = Field("all", description="what to collect: all, story or comment")
    lookback_hours: int = Field(24, ge=1, le=720, description="how far back the first poll looks")
    max_pages: int = Field(3, ge=1, le=10, description=f"pages of {HITS_PER_PAGE} read per poll at most")
    api_url: str = Field(
        "https://hn.algolia.com", pattern=r"^https?://", description="Algolia HN API base (a mirror or a test server)"
    )


def parse_hits(document: Any, now: datetime | None = None) -> list[MentionDraft]:
    """Drafts from one `search_by_date` answer. Pure; hits without an id or any text are skipped."""
    hits = document.get("hits") if isinstance(document, dict) else None
    if not isinstance(hits, list):
        raise FetchError("Hacker News answer has no `hits` list")
    drafts = []
    for hit in hits:
        draft = _draft(hit, now) if isinstance(hit, dict) else None
        if draft is not None:
            drafts.append(draft)
    return drafts


def _draft(hit: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    item_id = str(hit.get("objectID") or "").strip()
    if not item_id:
        return None
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or (hit.get("comment_text") is not None and not hit.get("title"))
    if is_comment:
        story = clean_title(hit.get("story_title"))
        title = f"Re: {story}" if story else "Hacker News comment"
        text = html_to_text(hit.get("comment_text"))
    else:
        title = clean_title(hit.get("title"))
        text = html_to_text(hit.get("story_text"))
        if not text and hit.get("url"):
            text = str(hit["url"])[:500]
    if not title and not text:
        return None
    return MentionDraft(
        external_id=f"hn:{item_id}",
        url=ITEM_URL.format(item_id),
        title=title,
        text=text,
        author=(hit.get("author") or None),
        engagement=counts(points=hit.get("points"), comments=hit.get("num_comments")),
        published_at=from_timestamp(hit.get("created_at_i"), now),
    )


class HackerNewsCollector(ApiCollector):
    """Source kind `hackernews`."""

    kind = "hackernews"
    description = "Hacker News stories and comments matching `query`, through Algolia's search_by_date API."
    Params = HackerNewsParams

    def fetch(self, params: HackerNewsParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read pages newest first until the cursor, at most `max_pages`; advance the cursor."""
        now = datetime.now(UTC)
        since = state.cursor.get("since")
        if not isinstance(since, int):
            since = int((now - timedelta(hours=params.lookback_hours)).timestamp())
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        newest = since
        for page in range(params.max_pages):
            document, _ = http.get_json(
                params.api_url.rstrip("/") + "/api/v1/search_by_date",
                params={
                    "query": params.query,
                    "tags": _TAGS[params.tags],
                    "numericFilters": f"created_at_i>={since}",
                    "hitsPerPage": HITS_PER_PAGE,
                    "page": page,
                },
                pace=PACE,
            )
            for draft in parse_hits(document, now):
                if draft.external_id in seen:
                    continue
                drafts.append(draft)
                if draft.published_at is not None:
                    newest = max(newest, int(draft.published_at.timestamp()))
            pages = document.get("nbPages")
            if not isinstance(pages, int) or page + 1 >= pages:
                break
        # Ids at the newest second must be remembered: the next poll asks `>= newest` and gets them again.
        seen.add(d.external_id for d in drafts)
        return FetchOutcome(drafts=drafts, http_status=200, cursor={"since": newest, "seen": seen.as_list()})
