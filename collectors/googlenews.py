"""Google News search through its RSS feed: the articles Google News lists for a query, in one edition.

Feed: `GET https://news.google.com/rss/search?q=..&hl=fr&gl=FR&ceid=FR:fr` — RSS 2.0, up to 100 items, no
paging and no date filter other than `when:1d` inside the query. Each item links to a news.google.com redirect
(`/rss/articles/CBMi...?oc=5`) and has a stable `<guid>`; the publisher is `<source url="...">Le Monde</source>`
and is also appended to the title (" - Le Monde"). Vigie takes the publisher as the author and removes it from
the title (rss.parse_feed does both), so that one story listed by two editions or two queries has one title
and is stored once. The description only repeats the title and the publisher, so it is dropped.

Incremental: conditional GET, then the guids already returned (collectors.feedsource). Google answers clients
it finds too busy with a cookie-consent or "unusual traffic" HTML page (served with 200, or a 302 to
/sorry/ answered with 429): both are errors that keep every googlenews source away for BLOCK_BACKOFF seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from collectors.api import ApiCollector, Params
from collectors.base import FetchDeferred, FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.feedsource import collect_feed
from collectors.http import Fetcher, HttpResult
from collectors.rss import ParsedFeed, parse_feed
from collectors.text import html_to_text

PACE = 2.0  # seconds between two requests to the host
BLOCK_BACKOFF = 900  # seconds every googlenews source waits after a consent/captcha page or a bare 429
SEARCH_PATH = "/rss/search"

# Editions: locale → (hl, gl, ceid), as news.google.com writes them in its own edition links.
LOCALES: dict[str, tuple[str, str, str]] = {
    "fr-FR": ("fr", "FR", "FR:fr"), "fr-BE": ("fr", "BE", "BE:fr"), "fr-CA": ("fr-CA", "CA", "CA:fr"),
    "fr-CH": ("fr", "CH", "CH:fr"), "fr-MA": ("fr", "MA", "MA:fr"), "fr-SN": ("fr", "SN", "SN:fr"),
    "en-US": ("en-US", "US", "US:en"), "en-GB": ("en-GB", "GB", "GB:en"), "en-CA": ("en-CA", "CA", "CA:en"),
    "en-AU": ("en-AU", "AU", "AU:en"), "en-IE": ("en-IE", "IE", "IE:en"), "en-IN": ("en-IN", "IN", "IN:en"),
    "en-NZ": ("en-NZ", "NZ", "NZ:en"), "en-SG": ("en-SG", "SG", "SG:en"), "en-ZA": ("en-ZA", "ZA", "ZA:en"),
    "de-DE": ("de", "DE", "DE:de"), "de-AT": ("de", "AT", "AT:de"), "de-CH": ("de", "CH", "CH:de"),
    "es-ES": ("es", "ES", "ES:es"), "es-MX": ("es-419", "MX", "MX:es-419"), "es-US": ("es-419", "US", "US:es-419"),
    "it-IT": ("it", "IT", "IT:it"), "nl-NL": ("nl", "NL", "NL:nl"), "nl-BE": ("nl", "BE", "BE:nl"),
    "pt-BR": ("pt-BR", "BR", "BR:pt-419"), "pt-PT": ("pt-PT", "PT", "PT:pt-150"), "pl-PL": ("pl", "PL", "PL:pl"),
    "sv-SE": ("sv", "SE", "SE:sv"), "tr-TR": ("tr", "TR", "TR:tr"), "ja-JP": ("ja", "JP", "JP:ja"),
    "ko-KR": ("ko", "KR", "KR:ko"), "zh-TW": ("zh-TW", "TW", "TW:zh-Hant"), "ar-AE": ("ar", "AE", "AE:ar"),
    "ar-SA": ("ar", "SA", "SA:ar"), "ar-EG": ("ar", "EG", "EG:ar"), "he-IL": ("he", "IL", "IL:he"),
}  # fmt: skip
_LOCALE_PARTS = re.compile(r"^([A-Za-z]{2})[-_]([A-Za-z]{2})$")
_FULL_COVERAGE = re.compile(r"<li>\s*<strong>\s*<a [^>]*/stories/.*?</strong>\s*</li>", re.S | re.I)


class GoogleNewsParams(Params):
    """Parameters of a `googlenews` source."""

    query: str = Field(
        min_length=1, max_length=500, description='Google News search, in Google\'s syntax: acme OR "acme cloud"'
    )
    locale: str = Field("fr-FR", description="edition searched, e.g. fr-FR, fr-BE, fr-CA, en-US, en-GB")
    when: str | None = Field(
        None,
        pattern=r"^[1-9][0-9]{0,2}[hd]$",
        description="only articles of the last 12h, 1d, 7d... (Google's when: operator)",
    )
    api_url: str = Field(
        "https://news.google.com", pattern=r"^https?://", description="Google News base (a mirror or a test server)"
    )

    @field_validator("locale", mode="before")
    @classmethod
    def _known_locale(cls, value: Any) -> Any:
        match = _LOCALE_PARTS.match(value.strip()) if isinstance(value, str) else None
        locale = f"{match.group(1).lower()}-{match.group(2).upper()}" if match else value
        if locale not in LOCALES:
            raise ValueError(f"unknown Google News edition {value!r}; use one of {', '.join(LOCALES)}")
        return locale


def language_of(locale: str) -> str:
    """Language declared for an edition's items: 'fr-CA' → 'fr'."""
    return locale.split("-", 1)[0]


def amend_news(parsed: ParsedFeed, language: str) -> ParsedFeed:
    """Google News specifics on parse_feed's drafts: the edition's language, no description echo."""
    for draft in parsed.drafts:
        draft.lang = language
        draft.text = _without_echo(draft)
    return parsed


def parse_news(body: bytes, *, locale: str = "fr-FR", now: datetime | None = None) -> ParsedFeed:
    """Drafts of one Google News RSS answer (pure: what the collector does after the GET)."""
    parsed = parse_feed(body, base_url="https://news.google.com" + SEARCH_PATH, now=now, on_entry=drop_full_coverage)
    return amend_news(parsed, language_of(locale))


def _without_echo(draft: MentionDraft) -> str:
    # The description is `<a>title</a>&nbsp;&nbsp;<font>publisher</font>`: as text it says nothing the title and
    # author do not, and the publisher's name in it would match a brand named like a newspaper in every item.
    # Story clusters list related headlines after it (one per line): those are kept.
    echoes = {draft.title, f"{draft.title} {draft.author or ''}".strip()}
    return "\n".join(line for line in draft.text.split("\n") if line not in echoes)


def drop_full_coverage(entry: Any, draft: MentionDraft) -> None:
    """A story cluster's description ends with a "full coverage" link to news.google.com/stories: not text."""
    summary = entry.get("summary") or ""
    if "/stories/" in summary:
        draft.text = html_to_text(_FULL_COVERAGE.sub("", summary))


def _refuse_block_page(http: Fetcher, url: str) -> Callable[[HttpResult], None]:
    def check(result: HttpResult) -> None:
        head = result.body[:1024].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or "/sorry/" in result.final_url:
            http.hold(url, BLOCK_BACKOFF)
            raise FetchError(
                "Google News answered with an HTML page (cookie consent or 'unusual traffic' check) instead of the"
                f" feed; every googlenews source now waits {BLOCK_BACKOFF // 60} min",
                http_status=result.status,
                retry_after=BLOCK_BACKOFF,
            )

    return check


class GoogleNewsCollector(ApiCollector):
    """Source kind `googlenews`."""

    kind = "googlenews"
    description = "Google News articles matching `query` in one edition (`locale`), through its RSS search feed."
    Params = GoogleNewsParams

    def fetch(self, params: GoogleNewsParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Conditional GET of the search feed; the items not returned before."""
        hl, gl, ceid = LOCALES[params.locale]
        query = f"{params.query} when:{params.when}" if params.when else params.query
        url = params.api_url.rstrip("/") + SEARCH_PATH
        language = language_of(params.locale)
        try:
            return collect_feed(
                http,
                url,
                state,
                pace=PACE,
                params={"q": query, "hl": hl, "gl": gl, "ceid": ceid},
                check=_refuse_block_page(http, url),
                on_entry=drop_full_coverage,
                amend=lambda parsed: amend_news(parsed, language),
                short_ids=True,
            )
        except FetchDeferred:
            raise
        except FetchError as exc:
            if exc.http_status == 429 and not exc.retry_after:
                # Google's /sorry/ page: a 429 without Retry-After. Asking again soon only prolongs the block.
                http.hold(url, BLOCK_BACKOFF)
                raise FetchError(
                    f"{exc}: Google's 'unusual traffic' check; every googlenews source now waits"
                    f" {BLOCK_BACKOFF // 60} min",
                    http_status=429,
                    retry_after=BLOCK_BACKOFF,
                ) from None
            raise
