"""Mastodon statuses carrying a hashtag, read from the public hashtag timelines of one instance.

API: `GET {instance}/api/v1/timelines/tag/{hashtag}?limit=40[&min_id=..|&max_id=..][&local=true]`, no account
needed on most servers (Mastodon, and compatible ones: Pleroma, Akkoma, GoToSocial...). Answers an array of
Status, always newest first, and a `Link` header: `rel="next"` (max_id = the oldest status of the page: older
statuses) and `rel="prev"` (min_id = the newest of the page: newer statuses).

Incremental on `min_id`, one cursor per hashtag: `min_id=X` returns the statuses *immediately* newer than X
(the oldest page after X), so a poll walks forward through `rel="prev"` links and never skips a status; when
it stops at `max_pages`, the next poll goes on from there. The first poll has no cursor: it reads the newest
page and walks back through `rel="next"` until `lookback_hours`.

A boost shows its original status: the mention is the original, identified by its `uri`, so a status boosted
several times, carrying two followed hashtags or read from two instances is one mention. Author reach is the
account's followers count; the language is the one declared on the status (often the author's default, so it
is not taken as reliable). Mastodon allows 300 requests per 5 minutes per address: Vigie spaces its requests
by PACE seconds per host and keeps away from a host whose `X-RateLimit-Remaining` reaches 0 until
`X-RateLimit-Reset`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from pydantic import Field, model_validator

from collectors.api import ApiCollector, Params, SeenWindow, as_int, counts, from_iso
from collectors.base import FetchDeferred, FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher, HttpResult
from collectors.text import clean_title, html_to_text

PACE = 1.0  # seconds between two requests to the host: Mastodon allows 300 requests per 5 minutes
PAGE_SIZE = 40  # the most Mastodon returns per request
MAX_HASHTAGS = 10
TITLE_CHARS = 100
_HASHTAG = r"^#?[\w·]{1,100}$"
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]+)"?')

Hashtag = Annotated[str, Field(pattern=_HASHTAG)]


class MastodonParams(Params):
    """Parameters of a `mastodon` source."""

    instance: str = Field(
        "https://mastodon.social",
        pattern=r"^https?://[^/?#\s]+/?$",
        description="base URL of the Mastodon (or compatible) server whose hashtag timelines are read",
    )
    hashtags: list[Hashtag] = Field(
        [], max_length=MAX_HASHTAGS, description="hashtags followed, with or without '#' (1 to 10)"
    )
    hashtag: Hashtag | None = Field(None, description="one hashtag: a shortcut for `hashtags = [..]`")
    local: bool = Field(False, description="only statuses posted on `instance` itself, not federated ones")
    lookback_hours: int = Field(24, ge=1, le=720, description="how far back the first poll looks")
    max_pages: int = Field(3, ge=1, le=10, description=f"pages of {PAGE_SIZE} read per hashtag and poll at most")

    @model_validator(mode="after")
    def _some_hashtags(self) -> MastodonParams:
        if not self.tags:
            raise ValueError("give `hashtag` or `hashtags` (1 to 10 hashtags)")
        if len(self.tags) > MAX_HASHTAGS:
            raise ValueError(f"at most {MAX_HASHTAGS} hashtags in all")
        return self

    @property
    def tags(self) -> list[str]:
        """The hashtags without '#', each once (Mastodon hashtags ignore case)."""
        tags: dict[str, str] = {}
        for tag in [*([self.hashtag] if self.hashtag else []), *self.hashtags]:
            tags.setdefault(tag.lstrip("#").casefold(), tag.lstrip("#"))
        return list(tags.values())


def parse_statuses(document: Any, now: datetime | None = None) -> list[MentionDraft]:
    """Drafts from one timeline answer (an array of Status). Pure; a boost becomes its original status, and
    statuses without a uri or without any text are skipped."""
    if not isinstance(document, list):
        message = document.get("error") if isinstance(document, dict) else None
        raise FetchError(f"Mastodon answered an error: {message}" if message else "Mastodon answer is not a list")
    drafts = []
    for status in document:
        draft = _draft(status, now) if isinstance(status, dict) else None
        if draft is not None:
            drafts.append(draft)
    return drafts


def _draft(status: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    original = status["reblog"] if isinstance(status.get("reblog"), dict) else status
    uri = str(original.get("uri") or original.get("url") or "").strip()
    if not uri:
        return None
    text = html_to_text(original.get("content"))
    warning = clean_title(original.get("spoiler_text"))
    if not text and not warning:
        return None
    account = original.get("account") if isinstance(original.get("account"), dict) else {}
    url = original.get("url") if isinstance(original.get("url"), str) else None
    return MentionDraft(
        external_id=f"mastodon:{uri}",
        url=url or (uri if uri.startswith("http") else None),
        title=warning or _snippet(text),
        text=text,
        author=_handle(account),
        author_reach=as_int(account.get("followers_count")),
        engagement=counts(
            likes=original.get("favourites_count"),
            shares=original.get("reblogs_count"),
            comments=original.get("replies_count"),
        ),
        lang=_language(original.get("language")),
        lang_reliable=False,  # the author's default language, more often than not
        published_at=from_iso(original.get("created_at"), now),
    )


def _snippet(text: str) -> str:
    """A status has no title: its first line, cut at a word under TITLE_CHARS characters."""
    line = text.split("\n", 1)[0]
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0]
    return (cut if len(cut) > TITLE_CHARS // 2 else line[:TITLE_CHARS]).rstrip() + "…"


def _handle(account: dict[str, Any]) -> str | None:
    """user@server: `acct` has no server for local accounts; their profile URL tells it."""
    acct = str(account.get("acct") or account.get("username") or "").strip().lstrip("@")
    if not acct:
        return None
    if "@" not in acct and isinstance(account.get("url"), str):
        try:
            host = httpx.URL(account["url"]).host
        except (httpx.InvalidURL, TypeError):
            host = ""
        if host:
            acct = f"{acct}@{host}"
    return acct


def _language(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0] or None


class MastodonCollector(ApiCollector):
    """Source kind `mastodon`."""

    kind = "mastodon"
    description = "Mastodon statuses with the given hashtags, from the public hashtag timelines of `instance`."
    Params = MastodonParams

    def fetch(self, params: MastodonParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read each hashtag's timeline from its cursor (at most `max_pages` pages); advance the cursors."""
        now = datetime.now(UTC)
        since = now - timedelta(hours=params.lookback_hours)
        stored = state.cursor.get("min_id")
        if state.cursor.get("instance") not in (None, params.instance):
            stored = None  # status ids belong to the server that gave them: another server starts afresh
        min_ids = {str(k): str(v) for k, v in stored.items() if v} if isinstance(stored, dict) else {}
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        taken: set[str] = set()
        cursors = {tag.casefold(): min_ids[tag.casefold()] for tag in params.tags if tag.casefold() in min_ids}
        failures: list[FetchError] = []
        errors: list[str] = []
        read_any = False
        for tag in params.tags:
            key = tag.casefold()
            try:
                statuses, min_id, error = _read_tag(params, tag, min_ids.get(key), http)
            except FetchDeferred:
                if not read_any and not failures:
                    raise
                break  # the host is held: the other hashtags wait for the next poll, their cursors unchanged
            except FetchError as exc:
                failures.append(_explained(exc, tag))
                continue
            read_any = True
            if min_id:
                cursors[key] = min_id
            if error:
                errors.append(error)
            for draft in parse_statuses(statuses, now):
                if key not in min_ids and draft.published_at is not None and draft.published_at < since:
                    continue  # the first poll of a hashtag looks back `lookback_hours` only
                if draft.external_id in seen or draft.external_id in taken:
                    continue
                taken.add(draft.external_id)
                drafts.append(draft)
        if not read_any and failures:
            if len(failures) == 1:
                raise failures[0]
            retry = max((f.retry_after or 0 for f in failures), default=0) or None
            raise FetchError("; ".join(map(str, failures)), http_status=failures[-1].http_status, retry_after=retry)
        seen.add(d.external_id for d in sorted(drafts, key=_when))
        cursor = {"instance": params.instance, "min_id": cursors, "seen": seen.as_list()}
        error_text = "; ".join([*map(str, failures), *errors]) or None
        return FetchOutcome(drafts=drafts, http_status=200, error=error_text, cursor=cursor)


def _when(draft: MentionDraft) -> float:
    return draft.published_at.timestamp() if draft.published_at else 0.0


def _read_tag(
    params: MastodonParams, tag: str, min_id: str | None, http: Fetcher
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """The statuses of one hashtag, the new min_id cursor, and the error that cut the reading short, if any.

    With a cursor, walks forward (rel="prev") from it; without, reads the newest page and walks back
    (rel="next") while the page is within `lookback_hours`. FetchError when the first request fails.
    """
    url = f"{params.instance.rstrip('/')}/api/v1/timelines/tag/{quote(tag, safe='')}"
    base = {"limit": PAGE_SIZE, "local": "true" if params.local else None}
    forward = min_id is not None
    since = datetime.now(UTC) - timedelta(hours=params.lookback_hours)
    statuses: list[dict[str, Any]] = []
    cursor, page_query = min_id, {"min_id": min_id}
    for page in range(params.max_pages):
        try:
            document, result = http.get_json(url, params={**base, **page_query}, pace=PACE)
        except FetchError as exc:
            if page == 0:
                raise
            return statuses, cursor, None if isinstance(exc, FetchDeferred) else str(_explained(exc, tag))
        if not isinstance(document, list):
            parse_statuses(document)  # raises with the error the server gave instead of statuses
        batch = [s for s in document if isinstance(s, dict)]
        statuses.extend(batch)
        links = parse_links(result.headers.get("link"))
        if batch and (forward or page == 0):
            # rel="prev" carries the newest id of the page: where the next poll starts.
            cursor = links.get("prev", {}).get("min_id") or str(batch[0].get("id") or "") or cursor
        if _rate_limited(result, http, url) or len(batch) < PAGE_SIZE:
            break
        if forward:
            page_query = {"min_id": links.get("prev", {}).get("min_id") or cursor}
        else:
            oldest = from_iso(batch[-1].get("created_at"))
            older = links.get("next", {}).get("max_id") or str(batch[-1].get("id") or "")
            if (oldest is not None and oldest < since) or not older:
                break
            page_query = {"max_id": older}
    return statuses, cursor, None


def parse_links(header: str | None) -> dict[str, dict[str, str]]:
    """The query parameters of each link of a Link header, by rel: {"next": {"max_id": "1"}, "prev": {...}}."""
    links: dict[str, dict[str, str]] = {}
    for target, rel in _LINK.findall(header or ""):
        try:
            links[rel.strip().lower()] = dict(httpx.URL(target.strip()).params)
        except (httpx.InvalidURL, TypeError):
            continue
    return links


def _rate_limited(result: HttpResult, http: Fetcher, url: str) -> bool:
    """True when the server says no request is left: the host is held until X-RateLimit-Reset."""
    remaining = as_int(result.headers.get("x-ratelimit-remaining"))
    if remaining is None or remaining >= 1:
        return False
    reset = from_iso(result.headers.get("x-ratelimit-reset"))
    wait = (reset - datetime.now(UTC)).total_seconds() if reset else 300.0
    http.hold(url, max(1.0, wait))
    return True


def _explained(exc: FetchError, tag: str) -> FetchError:
    if isinstance(exc, FetchDeferred):
        return exc
    hint = {
        401: "this server does not show hashtag timelines without an account",
        404: f"#{tag} is unknown there, or the server is not Mastodon-compatible",
        429: "the server's rate limit is reached",
    }.get(exc.http_status or 0, "")
    message = f"#{tag}: {exc}" + (f" — {hint}" if hint else "")
    return FetchError(message, http_status=exc.http_status, retry_after=exc.retry_after)
