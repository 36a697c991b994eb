"""Lemmy posts and comments mentioning a query, through one instance's search API, newest first.

API: `GET {instance}/api/v3/search?q=..&type_=All|Posts|Comments&sort=New&listing_type=All&page=N&limit=50`
(no account needed; Lemmy 0.18 and 0.19). Answers `{"type_": .., "posts": [PostView], "comments": [CommentView],
"communities": [], "users": []}`, where a PostView holds `post`, `creator`, `community`, `counts` and a
CommentView `comment`, `post`, `creator`, `community`, `counts`. Timestamps are ISO 8601: Lemmy 0.19 writes
them in UTC with a `Z`, 0.18 without any zone (UTC too).

An instance searches everything federated to it, so one big instance covers most of the network. The mention
is identified by its `ap_id` (its ActivityPub id, the same on every instance), which is also its URL.

Incremental on `published`: each poll reads pages newest first until the cursor, at most `max_pages`, and
remembers the ids seen at the cursor; a poll cut short by an error keeps the cursor where it was so that the
next one finishes the job. Vigie spaces its requests by PACE seconds per host.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import Field

from collectors.api import ApiCollector, Params, SeenWindow, counts, from_iso
from collectors.base import FetchDeferred, FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher
from collectors.text import html_to_text

PACE = 1.0  # seconds between two requests to the host
PAGE_SIZE = 50  # the most Lemmy returns per list and page
THROTTLE_WAIT = 60  # seconds kept away from the host after a 429, which Lemmy sends without Retry-After
_TYPES = {"all": "All", "posts": "Posts", "comments": "Comments"}
_LISTS = {"all": ("posts", "comments"), "posts": ("posts",), "comments": ("comments",)}


class LemmyParams(Params):
    """Parameters of a `lemmy` source."""

    query: str = Field(min_length=1, max_length=200, description="words searched in post titles, texts and comments")
    instance: str = Field(
        "https://lemmy.world",
        pattern=r"^https?://[^/?#\s]+/?$",
        description="base URL of the Lemmy instance searched (it sees what is federated to it)",
    )
    type: Literal["all", "posts", "comments"] = Field("all", description="what to collect: all, posts or comments")
    community: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_]{1,255}(@[A-Za-z0-9.-]{1,253})?$",
        description="search only this community: `name` (local) or `name@instance`",
    )
    lookback_hours: int = Field(24, ge=1, le=720, description="how far back the first poll looks")
    max_pages: int = Field(3, ge=1, le=10, description=f"pages of {PAGE_SIZE} read per poll at most")


def parse_search(document: Any, now: datetime | None = None) -> list[MentionDraft]:
    """Drafts from one search answer, posts then comments. Pure; deleted or removed items, items without an
    ap_id and items without any text are skipped."""
    if not isinstance(document, dict) or not any(isinstance(document.get(k), list) for k in ("posts", "comments")):
        error = document.get("error") if isinstance(document, dict) else None
        raise FetchError(f"Lemmy answered an error: {error}" if error else "Lemmy answer has no posts or comments list")
    drafts = []
    for view in _views(document, "posts"):
        draft = _post_draft(view, now)
        if draft is not None:
            drafts.append(draft)
    for view in _views(document, "comments"):
        draft = _comment_draft(view, now)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _views(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = document.get(key)
    return [v for v in items if isinstance(v, dict)] if isinstance(items, list) else []


def _post_draft(view: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    post = view.get("post") if isinstance(view.get("post"), dict) else {}
    ap_id = str(post.get("ap_id") or "").strip()
    if not ap_id or post.get("deleted") is True or post.get("removed") is True:
        return None
    title = _plain(post.get("name")).replace("\n", " ")
    text = _plain(post.get("body"))
    link = post.get("url")
    if not text and isinstance(link, str) and link.startswith("http"):
        text = link[:500]  # a link post: the link is its text
    if not title and not text:
        return None
    stats = view.get("counts") if isinstance(view.get("counts"), dict) else {}
    return MentionDraft(
        external_id=f"lemmy:{ap_id}",
        url=ap_id if ap_id.startswith("http") else None,
        title=title,
        text=text,
        author=_author(view.get("creator")),
        engagement=counts(score=stats.get("score"), comments=stats.get("comments")),
        published_at=from_iso(post.get("published"), now),
    )


def _comment_draft(view: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    comment = view.get("comment") if isinstance(view.get("comment"), dict) else {}
    ap_id = str(comment.get("ap_id") or "").strip()
    if not ap_id or comment.get("deleted") is True or comment.get("removed") is True:
        return None
    text = _plain(comment.get("content"))
    if not text:
        return None
    post = view.get("post") if isinstance(view.get("post"), dict) else {}
    topic = _plain(post.get("name")).replace("\n", " ")
    stats = view.get("counts") if isinstance(view.get("counts"), dict) else {}
    return MentionDraft(
        external_id=f"lemmy:{ap_id}",
        url=ap_id if ap_id.startswith("http") else None,
        title=f"Re: {topic}" if topic else "Lemmy comment",
        text=text,
        author=_author(view.get("creator")),
        engagement=counts(score=stats.get("score"), comments=stats.get("child_count")),
        published_at=from_iso(comment.get("published"), now),
    )


def _plain(markdown: Any) -> str:
    """Lemmy's text is Markdown: "<maintenance>" is shown as typed, so it must survive; entities are decoded
    and whitespace collapsed like any other text."""
    if not isinstance(markdown, str):
        return ""
    return html_to_text(markdown.replace("<", "&lt;"))


def _author(creator: Any) -> str | None:
    """name@instance (the instance from the actor id); None for a deleted account."""
    if not isinstance(creator, dict) or creator.get("deleted") is True:
        return None
    name = str(creator.get("name") or "").strip()
    if not name:
        return None
    try:
        host = httpx.URL(str(creator.get("actor_id") or creator.get("ap_id") or "")).host
    except (httpx.InvalidURL, TypeError):
        host = ""
    return f"{name}@{host}" if host else name


class LemmyCollector(ApiCollector):
    """Source kind `lemmy`."""

    kind = "lemmy"
    description = "Lemmy posts and comments matching `query`, through the search API of one `instance`."
    Params = LemmyParams

    def fetch(self, params: LemmyParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read pages newest first until the cursor, at most `max_pages`; advance the cursor."""
        now = datetime.now(UTC)
        since = from_iso(state.cursor.get("since"), now) or now - timedelta(hours=params.lookback_hours)
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        taken: set[str] = set()
        newest = since
        complete, error = False, None
        url = params.instance.rstrip("/") + "/api/v3/search"
        for page in range(1, params.max_pages + 1):
            try:
                document, _ = http.get_json(url, params=_query(params, page), pace=PACE)
            except FetchError as exc:
                if page == 1:
                    raise _explained(exc, params, http, url) from None
                if not isinstance(exc, FetchDeferred):
                    error = str(_explained(exc, params, http, url))
                break
            for draft in parse_search(document, now):
                if draft.published_at is not None and draft.published_at < since:
                    continue
                if draft.external_id in seen or draft.external_id in taken:
                    continue
                taken.add(draft.external_id)
                drafts.append(draft)
                newest = max(newest, draft.published_at) if draft.published_at else newest
            if all(_list_done(document, key, since) for key in _LISTS[params.type]):
                complete = True
                break
        else:
            complete = True  # max_pages read: older items beyond them are given up, like every bounded poll
        seen.add(d.external_id for d in sorted(drafts, key=_when))
        cursor = {"since": (newest if complete else since).isoformat(), "seen": seen.as_list()}
        return FetchOutcome(drafts=drafts, http_status=200, error=error, cursor=cursor)


def _when(draft: MentionDraft) -> float:
    return draft.published_at.timestamp() if draft.published_at else 0.0


def _query(params: LemmyParams, page: int) -> dict[str, Any]:
    return {
        "q": params.query,
        "type_": _TYPES[params.type],
        "sort": "New",
        "listing_type": "All",
        "community_name": params.community,
        "page": page,
        "limit": PAGE_SIZE,
    }


def _list_done(document: dict[str, Any], key: str, since: datetime) -> bool:
    """True when the next page of this list holds nothing new: it was not full, or it reached the cursor."""
    views = _views(document, key)
    if len(views) < PAGE_SIZE:
        return True
    item = "post" if key == "posts" else "comment"
    dates = [from_iso((v.get(item) or {}).get("published")) for v in views if isinstance(v.get(item), dict)]
    return any(d is not None and d < since for d in dates)


def _explained(exc: FetchError, params: LemmyParams, http: Fetcher, url: str) -> FetchError:
    """The error with what it means on Lemmy; a 429 without Retry-After still keeps everyone away a while."""
    if isinstance(exc, FetchDeferred):
        return exc
    retry_after = exc.retry_after
    if exc.http_status == 429 and retry_after is None:
        retry_after = THROTTLE_WAIT
        http.hold(url, retry_after)
    hint = {
        400: f"the instance refused the search (unknown community {params.community!r}?)" if params.community else "",
        404: "no Lemmy API there: is `instance` a Lemmy server (0.18 or later)?",
        429: "the instance's rate limit is reached",
    }.get(exc.http_status or 0, "")
    message = f"{exc} — {hint}" if hint else str(exc)
    return FetchError(message, http_status=exc.http_status, retry_after=retry_after)
