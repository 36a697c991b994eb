"""Stack Exchange (Stack Overflow and the other sites): questions mentioning a query, newest first.

API: https://api.stackexchange.com/docs/advanced-search — `GET /2.3/search/advanced?site=..&q=..&tagged=..
&sort=creation&order=desc&fromdate=N&pagesize=100&page=P&filter=withbody[&key=K]`. Answers the common wrapper
`{"items": [...], "has_more", "quota_max", "quota_remaining", "backoff"?}`; errors are `{"error_id",
"error_name", "error_message"}` with HTTP 400 (e.g. 502 `throttle_violation`). Titles and display names come
HTML-escaped, bodies are HTML. Responses are always gzipped (the Fetcher inflates them).

Incremental on `creation_date` (`fromdate` is inclusive): the cursor keeps the newest date and the ids seen.
The daily quota is shared by everything on the address (300 requests without a key, 10,000 with
VIGIE_STACKEXCHANGE_KEY): at `quota_remaining` 0 the host is held for every source until the next UTC midnight.
A `backoff` field holds the host that many seconds for every source; the poll stops there and keeps its
cursor, so the next poll reads on from the same date. PACE spaces requests per host (the API drops addresses
sending more than 30 a second).

The author is the owner's display name; author_reach stays None: reputation measures standing on the site,
not an audience (risk scoring reads reach as followers), and the audience shows in `views`.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from collectors.api import ApiCollector, Params, SeenWindow, counts, from_timestamp
from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher
from collectors.text import clean_title, html_to_text

logger = logging.getLogger(__name__)

PACE = 1.0  # seconds between two requests to the host
PAGE_SIZE = 100
MIN_QUOTA_HOLD = 600  # seconds: a quota spent just before midnight still waits this long
_TAG = re.compile(r"^[^\sA-Z;]{1,35}$")  # tags are lower case, without spaces; ';' separates them
KEY_HINT = "set VIGIE_STACKEXCHANGE_KEY to raise the daily quota from 300 to 10,000 requests"


class StackExchangeParams(Params):
    """Parameters of a `stackexchange` source."""

    q: str = Field(min_length=1, max_length=200, description="words searched in question titles and bodies")
    site: str = Field(
        "stackoverflow",
        pattern=r"^[a-z0-9][a-z0-9.-]{1,59}$",
        description="the Stack Exchange site: stackoverflow, superuser, serverfault, fr.stackoverflow...",
    )
    tagged: list[str] = Field(
        default=[],
        max_length=5,
        description='only questions carrying all these tags (at most 5), e.g. ["python"]',
    )
    lookback_hours: int = Field(72, ge=1, le=720, description="how far back the first poll looks")
    max_pages: int = Field(2, ge=1, le=10, description=f"pages of {PAGE_SIZE} read per poll at most")
    api_url: str = Field(
        "https://api.stackexchange.com", pattern=r"^https?://", description="Stack Exchange API base (a test server)"
    )

    @field_validator("tagged")
    @classmethod
    def _tags_are_words(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not _TAG.match(tag):
                raise ValueError(f"{tag!r} is not a Stack Exchange tag (lower-case, no space, at most 35 characters)")
        return value

    def tags(self) -> str | None:
        """`tagged` as the API wants it: semicolon-separated; None when empty."""
        return ";".join(self.tagged) or None


def parse_items(document: Any, site: str = "stackoverflow", now: datetime | None = None) -> list[MentionDraft]:
    """Drafts from one `search/advanced` answer. Pure; FetchError for the error wrapper."""
    if isinstance(document, dict) and "error_id" in document:
        raise FetchError(describe_error(document))
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise FetchError("Stack Exchange answer has no `items` list")
    drafts = []
    for item in items:
        draft = _draft(item, site, now) if isinstance(item, dict) else None
        if draft is not None:
            drafts.append(draft)
    return drafts


def describe_error(document: dict[str, Any]) -> str:
    """'Stack Exchange error 502 throttle_violation: too many requests...' from the error wrapper."""
    name = str(document.get("error_name") or "error")
    message = " ".join(str(document.get("error_message") or "").split())[:300]
    text = f"Stack Exchange error {document.get('error_id')} {name}: {message}".rstrip(": ")
    return f"{text} ({KEY_HINT})" if name == "throttle_violation" else text


def _draft(item: dict[str, Any], site: str, now: datetime | None) -> MentionDraft | None:
    question_id = item.get("question_id")
    if isinstance(question_id, bool) or not isinstance(question_id, int):
        return None
    title = clean_title(item.get("title") if isinstance(item.get("title"), str) else None)
    text = html_to_text(item.get("body") if isinstance(item.get("body"), str) else None)
    if not title and not text:
        return None
    link = item.get("link")
    url = link if isinstance(link, str) and link.startswith(("http://", "https://")) else None
    return MentionDraft(
        external_id=f"se:{site}:{question_id}",
        url=url or f"https://{_host(site)}/q/{question_id}",
        title=title or "Stack Exchange question",
        text=text,
        author=_author(item.get("owner")),
        engagement=counts(score=item.get("score"), comments=item.get("answer_count"), views=item.get("view_count")),
        published_at=from_timestamp(item.get("creation_date"), now),
    )


def _author(owner: Any) -> str | None:
    if not isinstance(owner, dict):
        return None
    name = owner.get("display_name")
    if not isinstance(name, str) or not name.strip():
        return None
    return " ".join(html.unescape(name).split())[:300] or None


def _host(site: str) -> str:
    """stackoverflow → stackoverflow.com, math → math.stackexchange.com (sites with their own domain aside)."""
    if "." in site or site in ("stackoverflow", "serverfault", "superuser", "askubuntu", "stackapps", "mathoverflow"):
        return site if site.endswith((".com", ".net")) else f"{site}.com"
    return f"{site}.stackexchange.com"


def next_utc_midnight(now: datetime) -> datetime:
    """When a daily quota is assumed to be given again (the API does not say)."""
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class StackExchangeCollector(ApiCollector):
    """Source kind `stackexchange`."""

    kind = "stackexchange"
    description = "Stack Exchange questions (Stack Overflow by default) matching `q`, through search/advanced."
    Params = StackExchangeParams

    def fetch(self, params: StackExchangeParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read pages newest first until the cursor, at most `max_pages`; honour quota and backoff."""
        now = datetime.now(UTC)
        since = state.cursor.get("since")
        if not isinstance(since, int):
            since = int((now - timedelta(hours=params.lookback_hours)).timestamp())
        url = params.api_url.rstrip("/") + "/2.3/search/advanced"
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        newest = since
        cut_short = False
        wait = 0
        for page in range(1, params.max_pages + 1):
            document = self._ask(http, url, params, since, page)
            for draft in parse_items(document, params.site, now):
                if draft.published_at is not None:  # seen ones too: a cut-short poll left them for this one
                    newest = max(newest, int(draft.published_at.timestamp()))
                if draft.external_id not in seen:
                    seen.add([draft.external_id])  # pages shift when questions arrive meanwhile: once each
                    drafts.append(draft)
            has_more = document.get("has_more") is True
            wait = self._hold(http, url, document, now)
            if wait and has_more:
                cut_short = True  # older pages are still to read: keep the cursor where it was
            if wait or not has_more:
                break
        cursor = {"since": since if cut_short else newest, "seen": seen.as_list()}
        return FetchOutcome(drafts=drafts, http_status=200, cursor=cursor, retry_after_seconds=wait or None)

    def _ask(self, http: Fetcher, url: str, params: StackExchangeParams, since: int, page: int) -> dict[str, Any]:
        query = {
            "site": params.site,
            "q": params.q,
            "tagged": params.tags(),
            "sort": "creation",
            "order": "desc",
            "fromdate": since,
            "pagesize": PAGE_SIZE,
            "page": page,
            "filter": "withbody",
            "key": http.credentials.get("stackexchange_key"),
        }
        try:
            document, _ = http.get_json(url, params=query, pace=PACE)
        except FetchError as exc:
            if exc.http_status == 400:
                # The API's errors (bad parameter, throttle_violation...) come as 400 with a JSON body that the
                # Fetcher does not keep: say what the two usual causes are.
                raise FetchError(
                    f"{exc}: Stack Exchange refused the request — a wrong parameter (is {params.site!r} a site, "
                    f"are the tags valid?) or this address is throttled (throttle_violation; {KEY_HINT})",
                    http_status=400,
                ) from None
            raise
        if not isinstance(document, dict):
            raise FetchError("Stack Exchange answer is not a JSON object")
        return document

    def _hold(self, http: Fetcher, url: str, document: dict[str, Any], now: datetime) -> int:
        """Hold the host for every source when the answer says so (backoff, quota spent); the seconds held."""
        wait = 0
        backoff = document.get("backoff")
        if isinstance(backoff, int) and not isinstance(backoff, bool) and backoff > 0:
            wait = backoff
            logger.info("Stack Exchange asks to back off", extra={"backoff_seconds": backoff})
        remaining = document.get("quota_remaining")
        if isinstance(remaining, int) and not isinstance(remaining, bool) and remaining <= 0:
            wait = max(wait, MIN_QUOTA_HOLD, int((next_utc_midnight(now) - now).total_seconds()))
            logger.warning(
                "Stack Exchange daily quota spent: every stackexchange source waits until 00:00 UTC; " + KEY_HINT,
                extra={"quota_max": document.get("quota_max"), "wait_seconds": wait},
            )
        if wait:
            http.hold(url, wait)
        return wait
