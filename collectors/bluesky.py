"""Bluesky: posts mentioning a query, newest first, through `app.bsky.feed.searchPosts` with a logged-in account.

Search is closed to anonymous requests, so a `bluesky` source needs an account: VIGIE_BLUESKY_HANDLE and an
app password VIGIE_BLUESKY_APP_PASSWORD (Settings > Privacy and security > App passwords), handed to the
collector in `http.credentials`. The parameters cannot be checked against the settings when a source is
created (validate() knows no settings): a source without them fails at its first collection, saying which
settings to set.

API: `POST {api_url}/xrpc/com.atproto.server.createSession` {"identifier", "password"} → {"accessJwt",
"refreshJwt", "handle", "did"}; then `GET {api_url}/xrpc/app.bsky.feed.searchPosts?q=..&sort=latest&limit=100
&since=ISO&cursor=..` with `Authorization: Bearer <accessJwt>` → {"posts": [PostView], "cursor"?, "hitsTotal"?}.
The session is kept in this process (SESSIONS, by api_url and handle) until shortly before the token's `exp`;
a 400 (ExpiredToken) or 401 on a kept session logs in again once. Passwords and tokens never appear in errors.

Incremental on each post's sort time (the earlier of createdAt and indexedAt, which is what `since` filters
on, inclusive): the cursor keeps the newest one and the post URIs seen. Search results carry no follower
count: author_reach stays None. The language is the post's own `langs[0]`, chosen by its author's app
(lang_reliable False).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from collectors.api import ApiCollector, Params, SeenWindow, counts, from_iso
from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher

PACE = 1.0  # seconds between two requests to the host
PAGE_SIZE = 100
TITLE_CHARS = 100
SESSION_MARGIN = 60.0  # seconds before its expiry a token is no longer used
DEFAULT_SESSION_SECONDS = 15 * 60  # lifetime assumed when the token's `exp` cannot be read
POST_URL = "https://bsky.app/profile/{}/post/{}"
CREDENTIALS_HINT = (
    "a bluesky source needs a Bluesky account: set VIGIE_BLUESKY_HANDLE and VIGIE_BLUESKY_APP_PASSWORD "
    "(an app password: Bluesky Settings > Privacy and security > App passwords); Bluesky search is closed "
    "to anonymous requests"
)


@dataclass(slots=True)
class Session:
    """A logged-in session: the access token and when to stop using it (epoch seconds)."""

    access_jwt: str
    expires_at: float


SESSIONS: dict[tuple[str, str], Session] = {}  # (api_url, handle) → session, shared by every bluesky source
_SESSIONS_LOCK = threading.Lock()
_LOGIN_LOCKS: dict[tuple[str, str], threading.Lock] = {}


def forget_sessions() -> None:
    """Drop every kept session (tests; a changed password)."""
    with _SESSIONS_LOCK:
        SESSIONS.clear()


class BlueskyParams(Params):
    """Parameters of a `bluesky` source."""

    query: str = Field(
        min_length=1, max_length=300, description='words searched in posts (all required) or an "exact phrase"'
    )
    lang: str | None = Field(
        None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="posts in this language only (fr, en, ja...)"
    )
    author: str | None = Field(
        None, min_length=3, max_length=253, description="posts of this account only (handle or DID)"
    )
    lookback_hours: int = Field(24, ge=1, le=720, description="how far back the first poll looks")
    max_pages: int = Field(3, ge=1, le=10, description=f"pages of {PAGE_SIZE} posts read per poll at most")
    api_url: str = Field(
        "https://bsky.social", pattern=r"^https?://", description="the account's PDS, where it logs in and searches"
    )


def parse_posts(document: Any, now: datetime | None = None) -> list[MentionDraft]:
    """Drafts from one `searchPosts` answer. Pure; posts without a URI or text are skipped."""
    posts = document.get("posts") if isinstance(document, dict) else None
    if not isinstance(posts, list):
        raise FetchError("Bluesky answer has no `posts` list")
    drafts = []
    for post in posts:
        draft = _draft(post, now) if isinstance(post, dict) else None
        if draft is not None:
            drafts.append(draft)
    return drafts


def _draft(post: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    uri = post.get("uri")
    record = post.get("record")
    if not isinstance(uri, str) or not uri.startswith("at://") or not isinstance(record, dict):
        return None
    text = plain_text(record.get("text"))
    if not text:
        return None
    author = post.get("author") if isinstance(post.get("author"), dict) else {}
    handle = author.get("handle") if isinstance(author.get("handle"), str) else None
    if handle == "handle.invalid":
        handle = None
    did = author.get("did") if isinstance(author.get("did"), str) else None
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    return MentionDraft(
        external_id=f"bsky:{uri}",
        url=web_url(uri, handle),
        title=title_of(text),
        text=text,
        author=handle or did,
        engagement=counts(
            likes=post.get("likeCount"),
            shares=post.get("repostCount"),
            comments=post.get("replyCount"),
            quotes=post.get("quoteCount"),
        ),
        lang=lang,
        lang_reliable=False,
        published_at=sort_time(post, now),
    )


def plain_text(value: Any) -> str:
    """A post's text with its line breaks and runs of spaces tidied; posts are plain text, not HTML."""
    if not isinstance(value, str):
        return ""
    lines = (" ".join(line.split()) for line in value.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def title_of(text: str) -> str:
    """The first line of the text, cut at a word to TITLE_CHARS: a prefix of the text, so scored once."""
    first = text.split("\n", 1)[0]
    if len(first) <= TITLE_CHARS:
        return first
    cut = first[:TITLE_CHARS].rsplit(" ", 1)[0]
    return cut if len(cut) >= TITLE_CHARS // 2 else first[:TITLE_CHARS]


def web_url(uri: str, handle: str | None) -> str | None:
    """https://bsky.app/profile/{handle}/post/{rkey} from at://{did}/app.bsky.feed.post/{rkey}."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post" or not parts[2]:
        return None
    return POST_URL.format(handle or parts[0], parts[2])


def sort_time(post: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """The post's sort time: the earlier of createdAt and indexedAt (a createdAt in the future is a lie)."""
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    times = [t for t in (from_iso(record.get("createdAt"), now), from_iso(post.get("indexedAt"), now)) if t]
    return min(times) if times else None


def token_expiry(jwt: str, now: float) -> float:
    """When to stop using an access token: its `exp` minus SESSION_MARGIN, read without verifying it."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return now + DEFAULT_SESSION_SECONDS
    return exp - SESSION_MARGIN


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class BlueskyCollector(ApiCollector):
    """Source kind `bluesky`."""

    kind = "bluesky"
    description = (
        "Bluesky posts matching `query`, through app.bsky.feed.searchPosts "
        "(needs VIGIE_BLUESKY_HANDLE and VIGIE_BLUESKY_APP_PASSWORD)."
    )
    Params = BlueskyParams

    def fetch(self, params: BlueskyParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read pages newest first until the cursor, at most `max_pages`; advance the cursor."""
        handle = (http.credentials.get("bluesky_handle") or "").strip().lstrip("@")
        password = http.credentials.get("bluesky_app_password") or ""
        if not handle or not password:
            raise FetchError(CREDENTIALS_HINT)
        api = params.api_url.rstrip("/")
        now = datetime.now(UTC)
        since = state.cursor.get("since")
        if not isinstance(since, int):
            since = int((now - timedelta(hours=params.lookback_hours)).timestamp())
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        newest = since
        page_cursor: str | None = None
        for _ in range(params.max_pages):
            query = {
                "q": params.query,
                "sort": "latest",
                "limit": PAGE_SIZE,
                "since": _iso(since),
                "lang": params.lang,
                "author": params.author,
                "cursor": page_cursor,
            }
            document = self._search(http, api, handle, password, query)
            for draft in parse_posts(document, now):
                if draft.external_id in seen:
                    continue
                seen.add([draft.external_id])
                drafts.append(draft)
                if draft.published_at is not None:
                    newest = max(newest, int(draft.published_at.timestamp()))
            page_cursor = document.get("cursor")
            if not isinstance(page_cursor, str) or not page_cursor or not document.get("posts"):
                break
        return FetchOutcome(drafts=drafts, http_status=200, cursor={"since": newest, "seen": seen.as_list()})

    def _search(self, http: Fetcher, api: str, handle: str, password: str, query: dict[str, Any]) -> dict:
        url = api + "/xrpc/app.bsky.feed.searchPosts"
        token, fresh = self._token(http, api, handle, password)
        try:
            document, _ = http.get_json(url, params=query, headers={"Authorization": f"Bearer {token}"}, pace=PACE)
        except FetchError as exc:
            if exc.http_status not in (400, 401):
                raise
            if fresh:
                raise self._refused(exc, handle) from None
            # A kept session may have expired (400 ExpiredToken) or been revoked (401): log in again, once.
            self._drop(api, handle, token)
            token, _ = self._token(http, api, handle, password)
            try:
                document, _ = http.get_json(url, params=query, headers={"Authorization": f"Bearer {token}"}, pace=PACE)
            except FetchError as again:
                if again.http_status in (400, 401):
                    raise self._refused(again, handle) from None
                raise
        if not isinstance(document, dict):
            raise FetchError("Bluesky answer is not a JSON object")
        return document

    @staticmethod
    def _refused(exc: FetchError, handle: str) -> FetchError:
        if exc.http_status == 401:
            return FetchError(f"{exc}: Bluesky refused the session of {handle}", http_status=401)
        return FetchError(f"{exc}: Bluesky refused the search (check `query`, `lang` and `author`)", http_status=400)

    def _token(self, http: Fetcher, api: str, handle: str, password: str) -> tuple[str, bool]:
        """A usable access token for (api, handle) and whether it was just made."""
        key = (api, handle)
        with _SESSIONS_LOCK:
            session = SESSIONS.get(key)
            if session is not None and session.expires_at > time.time():
                return session.access_jwt, False
            login_lock = _LOGIN_LOCKS.setdefault(key, threading.Lock())
        with login_lock:  # one login at a time per account: createSession is rate limited
            with _SESSIONS_LOCK:
                session = SESSIONS.get(key)
                if session is not None and session.expires_at > time.time():
                    return session.access_jwt, False
            session = self._login(http, api, handle, password)
            with _SESSIONS_LOCK:
                SESSIONS[key] = session
        return session.access_jwt, True

    def _login(self, http: Fetcher, api: str, handle: str, password: str) -> Session:
        url = api + "/xrpc/com.atproto.server.createSession"
        try:
            answer = http.post_json(url, {"identifier": handle, "password": password}, pace=PACE)
        except FetchError as exc:
            if exc.http_status == 401:
                raise FetchError(
                    f"{exc}: Bluesky refused the login of {handle}: check VIGIE_BLUESKY_HANDLE and "
                    "VIGIE_BLUESKY_APP_PASSWORD (an app password, not the account password)",
                    http_status=401,
                ) from None
            if exc.http_status == 400:
                raise FetchError(
                    f"{exc}: Bluesky refused the login of {handle} (account taken down, or a sign-in code "
                    "is required: use an app password)",
                    http_status=400,
                ) from None
            raise
        token = answer.get("accessJwt") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise FetchError(f"Bluesky login of {handle} answered without an access token")
        return Session(access_jwt=token, expires_at=token_expiry(token, time.time()))

    @staticmethod
    def _drop(api: str, handle: str, token: str) -> None:
        with _SESSIONS_LOCK:
            session = SESSIONS.get((api, handle))
            if session is not None and session.access_jwt == token:
                del SESSIONS[(api, handle)]
