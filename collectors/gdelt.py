"""GDELT DOC 2.0: news articles worldwide mentioning a query, as GDELT's crawler saw them, newest first.

API: https://blog.gdeltproject.org/gdelt-doc-2-0-api-debuts/ — `GET /api/v2/doc/doc?query=..&mode=artlist
&format=json&maxrecords=250&sort=datedesc&startdatetime=YYYYMMDDHHMMSS&enddatetime=..`. Answers
`{"articles": [{url, url_mobile, title, seendate, socialimage, domain, language, sourcecountry}]}`, `{}` (or an
empty body) when nothing matches. GDELT reports its errors as plain text, often with status 200 and a
text/html content type ("Please limit requests to one every 5 seconds...", "The specified phrase is too
short."): `read_answer` turns them into FetchErrors that quote GDELT's words.

There is no page parameter: a full page (250 articles) is followed by a request for what is older than its
oldest article (`enddatetime`). Incremental on `seendate`: the cursor keeps the newest one and the URLs
already returned. GDELT refuses windows shorter than about an hour ("Timespan is too short"), so a poll always
asks for at least the last MIN_WINDOW; what was already returned is skipped with the SeenWindow.
GDELT asks for one request every 5 seconds at most: PACE, per host, across all sources and processes.

The author of an article is its `domain` (e.g. lemonde.fr): GDELT gives no person, the outlet is who speaks,
and a brand's author blocklist then works on outlets too.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from collectors.api import ApiCollector, Params, SeenWindow, from_iso
from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import JSON_ACCEPT, Fetcher
from collectors.text import clean_title

PACE = 5.0  # seconds between two requests to the host: GDELT's own limit
MAX_RECORDS = 250  # the most GDELT returns per request
MIN_WINDOW = timedelta(hours=2)  # GDELT answers "Timespan is too short." for windows under about an hour
MAX_AGE = timedelta(days=89)  # the DOC API searches the last 3 months
RATE_LIMIT_HOLD = 60  # seconds every source stays away after GDELT says "Please limit requests..."
MAX_EXTERNAL_ID = 512
LANGUAGES = Literal[
    "any", "french", "english", "german", "spanish", "italian", "portuguese", "dutch", "arabic", "japanese",
    "chinese", "russian",
]  # fmt: skip
# GDELT's language names (the `language` field) → ISO 639-1; names not listed give no language.
_ISO = {
    "french": "fr", "english": "en", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "arabic": "ar", "japanese": "ja", "chinese": "zh", "russian": "ru", "polish": "pl",
    "turkish": "tr", "korean": "ko", "swedish": "sv", "danish": "da", "norwegian": "no", "finnish": "fi",
    "greek": "el", "hebrew": "he", "hindi": "hi", "indonesian": "id", "romanian": "ro", "czech": "cs",
    "hungarian": "hu", "ukrainian": "uk", "vietnamese": "vi", "thai": "th", "catalan": "ca", "persian": "fa",
}  # fmt: skip
_TOP_LEVEL_OR = re.compile(r"\bOR\b")
_DATE_FORMAT = "%Y%m%d%H%M%S"


class GdeltParams(Params):
    """Parameters of a `gdelt` source."""

    query: str = Field(
        min_length=1,
        max_length=300,
        description='GDELT query: words, "exact phrases", (a OR b) in parentheses, -excluded, domain:x.com',
    )
    language: LANGUAGES = Field("any", description="articles in this language only (GDELT's sourcelang), or any")
    country: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2,30}$",
        description="articles from outlets of this country only (GDELT's sourcecountry): FR, france, unitedkingdom",
    )
    lookback_hours: int = Field(24, ge=1, le=2136, description="how far back the first poll looks (89 days at most)")
    max_pages: int = Field(2, ge=1, le=4, description=f"requests of {MAX_RECORDS} articles per poll at most")
    api_url: str = Field(
        "https://api.gdeltproject.org", pattern=r"^https?://", description="GDELT API base (a test server)"
    )

    @field_validator("query")
    @classmethod
    def _or_in_parentheses(cls, value: str) -> str:
        if "sourcelang:" in value.lower() or "sourcecountry:" in value.lower():
            raise ValueError("use the `language` and `country` parameters instead of sourcelang:/sourcecountry:")
        if _TOP_LEVEL_OR.search(_outside_parentheses(value)):
            raise ValueError('GDELT needs OR\'d words in parentheses: "(acme OR acmecorp) panne"')
        return value


def _outside_parentheses(query: str) -> str:
    depth, kept = 0, []
    for char in query:
        depth += char == "("
        kept.append(char if depth == 0 else " ")
        depth -= char == ")" and depth > 0
    return "".join(kept)


def read_answer(body: bytes) -> dict[str, Any]:
    """The JSON object of a DOC API answer; FetchError quoting GDELT when it answered with a message instead.

    An empty body or `{}` is "no article". GDELT's JSON sometimes holds raw control characters inside
    strings; they are tolerated. Pure.
    """
    start = body[:512].lstrip()
    if not start:
        return {}
    if start.startswith(b"<"):
        raise FetchError("GDELT answered with an HTML page instead of JSON (an error or block page)")
    if start[:1] in (b"{", b"["):
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            try:
                document = json.loads(body.decode("utf-8", "replace"), strict=False)
            except (ValueError, RecursionError):
                raise FetchError("GDELT answered with invalid JSON") from None
        if not isinstance(document, dict):
            raise FetchError("GDELT answered with JSON that is not an object")
        return document
    message = _first_words(body)
    if "limit requests" in message.lower():
        raise FetchError(f"GDELT is rate limiting: {message!r}", retry_after=RATE_LIMIT_HOLD)
    raise FetchError(f"GDELT refused the query: {message!r}")


def _first_words(body: bytes, limit: int = 160) -> str:
    text = " ".join(body[:2000].decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def parse_articles(document: Any, now: datetime | None = None) -> list[MentionDraft]:
    """Drafts from one decoded `artlist` answer. Pure; articles without a URL or a title are skipped."""
    if not isinstance(document, dict):
        raise FetchError("GDELT answer is not a JSON object")
    articles = document.get("articles", [])
    if not isinstance(articles, list):
        raise FetchError("GDELT answer has an `articles` that is not a list")
    drafts = []
    for article in articles:
        draft = _draft(article, now) if isinstance(article, dict) else None
        if draft is not None:
            drafts.append(draft)
    return drafts


def _draft(article: dict[str, Any], now: datetime | None) -> MentionDraft | None:
    url = str(article.get("url") or "").strip()
    title = clean_title(article.get("title") if isinstance(article.get("title"), str) else None)
    if not url.startswith(("http://", "https://")) or not title:
        return None
    language = str(article.get("language") or "").strip().lower()
    return MentionDraft(
        external_id=external_id(url),
        url=url,
        title=title,
        text="",
        author=(str(article.get("domain") or "").strip().lower()[:300] or None),
        lang=_ISO.get(language),
        lang_reliable=language in _ISO,  # GDELT detects the language of each article from its full text
        published_at=from_iso(article.get("seendate"), now),
    )


def external_id(url: str) -> str:
    """`gdelt:<url>`; a URL too long for the column is replaced by its SHA-256."""
    candidate = f"gdelt:{url}"
    if len(candidate) <= MAX_EXTERNAL_ID:
        return candidate
    return "gdelt:sha256:" + hashlib.sha256(url.encode()).hexdigest()


def gdelt_query(params: GdeltParams) -> str:
    """The `query` sent: the user's, plus sourcelang/sourcecountry operators."""
    parts = [params.query.strip()]
    if params.language != "any":
        parts.append(f"sourcelang:{params.language}")
    if params.country:
        parts.append(f"sourcecountry:{params.country.lower()}")
    return " ".join(parts)


class GdeltCollector(ApiCollector):
    """Source kind `gdelt`."""

    kind = "gdelt"
    description = "News articles worldwide matching `query`, through the GDELT DOC 2.0 API (artlist mode)."
    Params = GdeltParams

    def fetch(self, params: GdeltParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read newest first until the cursor, at most `max_pages` requests; advance the cursor."""
        now = datetime.now(UTC)
        since = state.cursor.get("since")
        if not isinstance(since, int):
            since = int((now - timedelta(hours=params.lookback_hours)).timestamp())
        oldest_allowed = int((now - MAX_AGE).timestamp())
        start = max(since, oldest_allowed)
        end = int(now.timestamp())
        url = params.api_url.rstrip("/") + "/api/v2/doc/doc"
        seen = SeenWindow(state.cursor)
        drafts: list[MentionDraft] = []
        found: set[str] = set()
        newest = since
        for _ in range(params.max_pages):
            # Every window spans MIN_WINDOW at least; what it holds twice is skipped below.
            window_start = max(min(start, end - int(MIN_WINDOW.total_seconds())), oldest_allowed)
            document = self._ask(http, url, params, window_start, end)
            page = parse_articles(document, now)
            oldest = end
            for draft in page:
                stamp = int(draft.published_at.timestamp()) if draft.published_at else None
                if stamp is not None:
                    oldest = min(oldest, stamp)
                if draft.external_id in seen or draft.external_id in found:
                    continue
                found.add(draft.external_id)
                drafts.append(draft)
                if stamp is not None:
                    newest = max(newest, stamp)
            raw = document.get("articles")
            # Older articles are left only when the page was full, and only worth asking for when the page
            # has not reached the cursor yet; the next request ends one second after this page's oldest.
            if not isinstance(raw, list) or len(raw) < MAX_RECORDS or oldest <= since or oldest + 1 >= end:
                break
            end = oldest + 1
        seen.add(d.external_id for d in drafts)
        return FetchOutcome(drafts=drafts, http_status=200, cursor={"since": newest, "seen": seen.as_list()})

    def _ask(self, http: Fetcher, url: str, params: GdeltParams, start: int, end: int) -> dict[str, Any]:
        query = {
            "query": gdelt_query(params),
            "mode": "artlist",
            "format": "json",
            "maxrecords": MAX_RECORDS,
            "sort": "datedesc",
            "startdatetime": _stamp(start),
            "enddatetime": _stamp(end),
        }
        try:
            result = http.get(url, params=query, pace=PACE, accept=JSON_ACCEPT)
        except FetchError as exc:
            if exc.http_status == 429 and not exc.retry_after:
                # GDELT's 429 carries no Retry-After: keep every source away for a minute anyway.
                http.hold(url, RATE_LIMIT_HOLD)
                raise FetchError(
                    f"{exc} (GDELT allows one request every {PACE:g}s; every gdelt source waits {RATE_LIMIT_HOLD}s)",
                    http_status=429,
                    retry_after=RATE_LIMIT_HOLD,
                ) from None
            raise
        try:
            return read_answer(result.body)
        except FetchError as exc:
            exc.http_status = result.status  # GDELT's messages come with 200
            if exc.retry_after:
                http.hold(url, exc.retry_after)
            raise


def _stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(_DATE_FORMAT)
