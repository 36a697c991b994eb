"""Reddit posts mentioning a query, through the public search JSON (no account, no OAuth), newest first.

API: `GET https://www.reddit.com/search.json?q=..&sort=new&limit=100&after=..&raw_json=1` site-wide, or
`/r/<sub>/search.json?..&restrict_sr=on` inside one subreddit (several: `a+b`). Answers a Listing:
`{"kind": "Listing", "data": {"after": "t3_..", "children": [{"kind": "t3", "data": {...}}, ...]}}`.
`raw_json=1` asks for text without Reddit's legacy HTML escaping (`&amp;`, `&lt;`).

Incremental on `created_utc`: each poll reads pages newest first (following `after`) until it reaches the
cursor, at most `max_pages`. When a poll is cut short (an error, the rate limit) the cursor stays where it
was and the ids already read are remembered, so the next poll finishes the job without storing twice.

Unauthenticated clients get about 10 requests a minute: Vigie spaces its requests by PACE seconds per host and
reads `x-ratelimit-remaining` / `x-ratelimit-reset` (seconds) to keep away from the host until the window
resets. Reddit blocks some networks and clients outright (403, often an HTML page): that is a clear error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from collectors.api import ApiCollector, Params, SeenWindow, counts, from_timestamp
from collectors.base import FetchDeferred, FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher, HttpResult
from collectors.text import html_to_text

PACE = 6.0  # seconds between two requests to the host: unauthenticated Reddit allows ~10 a minute
PAGE_SIZE = 100
SITE = "https://www.reddit.com"
THROTTLE_WAIT = 60  # seconds kept away from the host after a 429 that names no delay
_GONE_TEXT = {"[removed]", "[deleted]"}
_GONE_AUTHOR = {"[deleted]", ""}


class RedditParams(Params):
    """Parameters of a `reddit` source."""

    query: str = Field(min_length=1, max_length=512, description="words searched in post titles and texts")
    subreddit: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_]{2,21}(\+[A-Za-z0-9_]{2,21})*$",
        description="search only this subreddit (name without r/; several: `france+technology`); none: site-wide",
    )
    include_over_18: bool = Field(True, description="keep posts marked NSFW (over 18)")
    lookback_hours: int = Field(24, ge=1, le=720, description="how far back the first poll looks")
    max_pages: int = Field(2, ge=1, le=10, description=f"pages of {PAGE_SIZE} read per poll at most")
    api_url: str = Field(SITE, pattern=r"^https?://", description="Reddit base URL (a mirror or a test server)")


def parse_listing(document: Any, now: datetime | None = None, *, include_over_18: bool = True) -> list[MentionDraft]:
    """Drafts from one search answer (a Listing). Pure; children that are not posts, without an id or without
    any text are skipped, and so are NSFW posts unless `include_over_18`."""
    listing = _listing(document)
    children = listing.get("children")
    if not isinstance(children, list):
        raise FetchError("Reddit answer has no `children` list")
    drafts = []
    for child in children:
        if not isinstance(child, dict) or child.get("kind") != "t3" or not isinstance(child.get("data"), dict):
            continue
        post = child["data"]
        if post.get("over_18") is True and not include_over_18:
            continue
        draft = _draft(post, now)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _listing(document: Any) -> dict[str, Any]:
    # A search asked for several result types answers a list of Listings; the posts are in the one of t3.
    if isinstance(document, list):
        for item in document:
            data = item.get("data") if isinstance(item, dict) else None
            kids = data.get("children") if isinstance(data, dict) else None
            if isinstance(kids, list) and any(isinstance(k, dict) and k.get("kind") == "t3" for k in kids):
                return data
        document = document[0] if document else None
    if isinstance(document, dict) and document.get("kind") == "Listing" and isinstance(document.get("data"), dict):
        return document["data"]
    if isinstance(document, dict) and "error" in document:
        raise FetchError(f"Reddit answered an error: {document.get('message') or document.get('error')}")
    raise FetchError("Reddit answer is not a Listing")


def _draft(post: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    name = str(post.get("name") or "").strip()
    if not name and post.get("id"):
        name = f"t3_{post['id']}"
    if not name:
        return None
    title = _plain(post.get("title")).replace("\n", " ")
    text = _plain(post.get("selftext"))
    if text in _GONE_TEXT:
        text = ""
    link = post.get("url")
    permalink = post.get("permalink")
    url = SITE + permalink if isinstance(permalink, str) and permalink.startswith("/") else None
    if not text and isinstance(link, str) and link.startswith("http") and not post.get("is_self"):
        text = link[:500]  # a link post: the link is its text
    if not title and not text:
        return None
    author = post.get("author")
    return MentionDraft(
        external_id=f"reddit:{name}",
        url=url or (link if isinstance(link, str) and link.startswith("http") else None),
        title=title,
        text=text,
        author=None if not isinstance(author, str) or author in _GONE_AUTHOR else author,
        engagement=counts(score=post.get("score"), comments=post.get("num_comments")),
        published_at=from_timestamp(post.get("created_utc"), now),
    )


class RedditCollector(ApiCollector):
    """Source kind `reddit`."""

    kind = "reddit"
    description = "Reddit posts matching `query`, site-wide or in `subreddit`, through Reddit's public search JSON."
    Params = RedditParams

    def fetch(self, params: RedditParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read pages newest first until the cursor, at most `max_pages`; advance the cursor."""
        now = datetime.now(UTC)
        since = state.cursor.get("since")
        if not isinstance(since, int | float) or isinstance(since, bool):
            since = (now - timedelta(hours=params.lookback_hours)).timestamp()
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        taken: set[str] = set()
        newest, after = since, None
        complete, error = False, None
        url = _search_url(params)
        for page in range(params.max_pages):
            try:
                document, result = http.get_json(url, params=_query(params, after), pace=PACE)
            except FetchError as exc:
                if page == 0:
                    raise _explained(exc, http, url) from None
                if not isinstance(exc, FetchDeferred):
                    error = str(_explained(exc, http, url))
                break
            _check_not_redirected(result, params)
            reached_cursor = False
            for draft in parse_listing(document, now, include_over_18=params.include_over_18):
                at = draft.published_at.timestamp() if draft.published_at else None
                if at is not None and at < since:
                    reached_cursor = True  # sorted newest first: what follows is older still
                    continue
                if draft.external_id in seen or draft.external_id in taken:
                    continue
                taken.add(draft.external_id)
                drafts.append(draft)
                newest = max(newest, at) if at is not None else newest
            limited = _rate_limited(result, http, url)  # read on every answer, the last one included
            after = _listing(document).get("after")
            if reached_cursor or not isinstance(after, str) or not after:
                complete = True
                break
            if limited:
                break
        else:
            complete = True  # max_pages read: older items beyond them are given up, like every bounded poll
        # Oldest first, so that the window keeps the newest ids, the ones the next poll sees again.
        seen.add(d.external_id for d in sorted(drafts, key=_when))
        cursor = {"since": newest if complete else since, "seen": seen.as_list()}
        return FetchOutcome(drafts=drafts, http_status=200, error=error, cursor=cursor)


def _plain(markdown: Any) -> str:
    """Reddit's text is Markdown, not HTML: "<maintenance>" is shown as typed, so it must survive; entities
    ("&#x200B;" from the rich editor) are decoded and whitespace collapsed like any other text."""
    if not isinstance(markdown, str):
        return ""
    return html_to_text(markdown.replace("<", "&lt;"))


def _when(draft: MentionDraft) -> float:
    return draft.published_at.timestamp() if draft.published_at else 0.0


def _search_url(params: RedditParams) -> str:
    base = params.api_url.rstrip("/")
    return f"{base}/r/{params.subreddit}/search.json" if params.subreddit else f"{base}/search.json"


def _query(params: RedditParams, after: str | None) -> dict[str, Any]:
    return {
        "q": params.query,
        "sort": "new",
        "type": "link",
        "restrict_sr": "on" if params.subreddit else None,
        "include_over_18": "on" if params.include_over_18 else None,
        "limit": PAGE_SIZE,
        "after": after,
        "raw_json": 1,
    }


def _rate_limited(result: HttpResult, http: Fetcher, url: str) -> bool:
    """True when Reddit says no request is left in the window: the host is held until the window resets."""
    try:
        remaining = float(result.headers.get("x-ratelimit-remaining", "").strip())
    except ValueError:
        return False
    if remaining >= 1:
        return False
    try:
        reset = max(1.0, float(result.headers.get("x-ratelimit-reset", "").strip()))
    except ValueError:
        reset = float(THROTTLE_WAIT)
    http.hold(url, reset)
    return True


def _check_not_redirected(result: HttpResult, params: RedditParams) -> None:
    # An unknown subreddit's search redirects to the subreddit search page: a listing of subreddits, not posts.
    if params.subreddit and "/subreddits/search" in result.final_url:
        raise FetchError(f"subreddit r/{params.subreddit} does not exist (Reddit redirected to its subreddit search)")


def _explained(exc: FetchError, http: Fetcher, url: str) -> FetchError:
    """The error with what it means on Reddit; a 429 without Retry-After still keeps everyone away a while."""
    if isinstance(exc, FetchDeferred):
        return exc
    status, retry_after, hint = exc.http_status, exc.retry_after, ""
    if status == 429:
        if retry_after is None:
            retry_after = THROTTLE_WAIT
            http.hold(url, retry_after)
        hint = "Reddit's rate limit for clients without an account is reached"
    elif status == 403:
        hint = "Reddit refused the request: it blocks some networks and clients without OAuth, or it is private"
    elif status == 404:
        hint = "the subreddit is banned or does not exist"
    elif "HTML" in str(exc):
        hint = "Reddit served a web page instead of JSON: usually a block or a 'whoa there' rate-limit page"
    message = f"{exc} — {hint}" if hint else str(exc)
    return FetchError(message, http_status=status, retry_after=retry_after)
