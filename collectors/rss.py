"""The RSS 2.0 / Atom / RSS 1.0 (RDF) collector, on feedparser.

`parse_feed` is pure (bytes in, drafts out); `RssCollector.collect` adds the conditional GET around it.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher, parse_max_age
from collectors.text import clean_title, html_to_text

logger = logging.getLogger(__name__)

# Enough for any real prolog (XML declaration, stylesheet PIs, a DOCTYPE); a longer one is suspicious.
PROLOG_SCAN_BYTES = 64 * 1024
_FUTURE_TOLERANCE = timedelta(days=2)  # clocks and time zones drift; further ahead is a broken date
_OLDEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)  # before web feeds existed: an epoch-0 style bug
_SY_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}
_ISO639_2 = {"fra": "fr", "fre": "fr", "eng": "en", "deu": "de", "ger": "de", "spa": "es", "ita": "it",
             "nld": "nl", "dut": "nl", "por": "pt"}  # fmt: skip
# Bozo reasons that lose no data: the encoding was fixed up, or the server's Content-Type is odd.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_PROLOG_NOISE = re.compile(rb"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)", re.S)
_ROOT_START = re.compile(rb"<[A-Za-z_:]")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


@dataclass(slots=True)
class ParsedFeed:
    """What one feed document says: its items as drafts, plus the feed-level hints."""

    drafts: list[MentionDraft] = field(default_factory=list)
    ttl_seconds: int | None = None
    error: str | None = None  # set for a partly readable (bozo) feed; the drafts are still good
    title: str | None = None
    language: str | None = None


def parse_feed(
    body: bytes,
    *,
    base_url: str,
    response_headers: dict[str, str] | None = None,
    now: datetime | None = None,
    on_entry: Callable[[Any, MentionDraft], None] | None = None,
) -> ParsedFeed:
    """Parse an RSS/Atom/RDF document into drafts; links resolved against `base_url`. No network.

    `on_entry(entry, draft)`, when given, sees each draft with its feedparser entry before it is kept, so that
    a kind can read what only its service puts in an item (YouTube's media:statistics) and amend the draft.

    Raises FetchError for entity declarations (possible XML bomb), non-feeds and unreadable feeds.
    """
    refuse_entity_declarations(body)
    headers = {name.lower(): value for name, value in (response_headers or {}).items()}
    # No Content-Location for feedparser: it would also "resolve" every permalink guid ("12345" becomes
    # "https://host/feeds/12345"), so ids would change with the feed URL, and it costs ~25% of the parse.
    # xml:base is still honoured by feedparser; _entry_url makes what remains relative absolute.
    headers.pop("content-location", None)
    # html_to_text strips every tag, so feedparser's sanitizer and its rewriting of URIs inside HTML would
    # be paid for and thrown away. BytesIO, not bytes: feedparser opens strings that look like URLs/paths.
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    entries = parsed.entries
    version = parsed.get("version") or ""
    if not entries and not version:
        raise FetchError(f"not a feed: {_describe_non_feed(body)}")
    problem = _bozo_problem(parsed)
    if problem and not entries:
        raise FetchError(f"malformed feed: {problem}; no readable items")
    feed = parsed.feed
    language = normalize_language(feed.get("language"))
    feed_author = _feed_author(feed) if version.startswith("atom") else None
    drafts = _drafts(entries, base_url, language, feed_author, now or datetime.now(UTC), on_entry)
    if problem:
        items = "item" if len(drafts) == 1 else "items"
        problem = f"malformed feed: {problem} — kept {len(drafts)} readable {items}"
    return ParsedFeed(
        drafts=drafts,
        ttl_seconds=_ttl_seconds(feed),
        error=problem,
        title=clean_title(feed.get("title")) or None,
        language=language,
    )


def refuse_entity_declarations(body: bytes) -> None:
    """Raise FetchError when the prolog declares XML entities (billion laughs, external entities).

    Scans at most PROLOG_SCAN_BYTES; comments and processing instructions are skipped so that a fake
    "<root" inside them cannot end the prolog early.
    """
    head = _ascii_view(body[:PROLOG_SCAN_BYTES])
    head = _PROLOG_NOISE.sub(b" ", head)
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    if b"<!entity" in prolog.lower():
        raise FetchError("feed declares XML entities (possible entity-expansion attack); refused")
    if root is None and len(body) > PROLOG_SCAN_BYTES:
        # No real feed needs that much before its root element; what hides there cannot be checked.
        raise FetchError(f"feed prolog longer than {PROLOG_SCAN_BYTES} bytes; refused")


def normalize_language(value: str | None) -> str | None:
    """Two-letter language code of a tag: 'fr-FR' → 'fr', 'en_us' → 'en', 'fre' → 'fr'; None if unusable."""
    if not value or not _LANG_TAG.match(value.strip()):
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    if len(primary) == 2:
        return primary
    return _ISO639_2.get(primary)


class RssCollector:
    """Collector for RSS 2.0, Atom and RSS 1.0 (RDF) feeds."""

    kind = "rss"
    description = (
        "RSS 2.0, Atom or RSS 1.0 (RDF) feed at `url`, fetched with conditional GET. "
        "Optional param `language`: the feed's language when it declares none (e.g. 'fr')."
    )

    params_doc = {"language": "two-letter language of the feed when it declares none, e.g. 'fr'"}

    def validate(self, url: str | None, params: dict[str, Any]) -> None:
        """Raise ValueError unless url is an absolute http(s) URL and params only hold 'language'."""
        if not url:
            raise ValueError("an rss source needs a url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"rss url must be an absolute http or https URL, not {url[:80]!r}")
        unknown = sorted(set(params) - {"language"})
        if unknown:
            raise ValueError(f"unknown rss parameter(s) {unknown}; only 'language' is accepted")
        language = params.get("language")
        if language is not None and (not isinstance(language, str) or normalize_language(language) is None):
            raise ValueError(f"rss parameter 'language' must be a language code like 'fr', not {language!r}")

    def collect(self, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Conditional GET of the feed, then parse it; FetchError when nothing could be read."""
        result = http.get(state.url, etag=state.etag, last_modified=state.last_modified)
        max_age = parse_max_age(result.headers.get("cache-control"))
        etag = result.headers.get("etag")
        last_modified = result.headers.get("last-modified")
        if result.status == 304:
            return FetchOutcome(
                not_modified=True,
                http_status=304,
                etag=etag or state.etag,
                last_modified=last_modified or state.last_modified,
                max_age_seconds=max_age,
            )
        parsed = parse_feed(result.body, base_url=result.final_url, response_headers=result.headers)
        _apply_language_hint(parsed.drafts, state.params.get("language"))
        if parsed.error:
            logger.warning(
                "partly readable feed", extra={"feed_error": parsed.error, "drafts": len(parsed.drafts)}
            )
        return FetchOutcome(
            drafts=parsed.drafts,
            http_status=result.status,
            error=parsed.error,
            etag=etag,
            last_modified=last_modified,
            ttl_seconds=parsed.ttl_seconds,
            max_age_seconds=max_age,
        )


def _apply_language_hint(drafts: list[MentionDraft], hint: str | None) -> None:
    language = normalize_language(hint)
    if language is None:
        return
    for draft in drafts:
        if draft.lang is None:
            draft.lang = language


def _drafts(
    entries: list[Any],
    base_url: str,
    feed_language: str | None,
    feed_author: str | None,
    now: datetime,
    on_entry: Callable[[Any, MentionDraft], None] | None = None,
) -> list[MentionDraft]:
    drafts: list[MentionDraft] = []
    seen: set[str] = set()
    for entry in entries:
        draft = _draft(entry, base_url, feed_language, feed_author, now)
        if draft is not None and on_entry is not None:
            on_entry(entry, draft)
        # A feed that lists an item twice (a republished story) yields it once: the first, newest copy.
        if draft is None or draft.external_id in seen:
            continue
        seen.add(draft.external_id)
        drafts.append(draft)
    return drafts


def _draft(
    entry: Any, base_url: str, feed_language: str | None, feed_author: str | None, now: datetime
) -> MentionDraft | None:
    url = _entry_url(entry, base_url)
    author = _entry_author(entry) or feed_author
    title = _strip_publisher_suffix(clean_title(entry.get("title")), entry)
    text = html_to_text(_longest_text(entry))
    if not title and not text:
        return None  # nothing a reader or a matcher could use
    return MentionDraft(
        external_id=_external_id(entry, url, title, text),
        url=url,
        title=title,
        text=text,
        author=author,
        lang=_entry_language(entry) or feed_language,
        published_at=_published_at(entry, now),
    )


def _entry_url(entry: Any, base_url: str) -> str | None:
    link = (entry.get("link") or "").strip()
    if not link:
        return None
    if link.startswith(("https://", "http://")):
        return link  # already absolute (the common case): urljoin costs more than the rest of the item
    absolute = urljoin(base_url, link)
    # javascript:, data:, mailto: links are never something to show a CM or follow.
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _external_id(entry: Any, url: str | None, title: str, text: str) -> str:
    entry_id = (entry.get("id") or "").strip()
    if entry_id:
        return entry_id
    if url:
        return url
    # No id and no link: the title and date identify the item; the text stands in for a missing title.
    basis = f"{title or text}\n{entry.get('published') or entry.get('updated') or ''}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _longest_text(entry: Any) -> str:
    summary = entry.get("summary") or ""
    content = entry.get("content") or []
    body = (content[0].get("value") or "") if content else ""
    return body if len(body) > len(summary) else summary


def _entry_author(entry: Any) -> str | None:
    # author_detail.name rather than author: RSS <author> is "email (Name)"; keep the name only.
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or (entry.get("author") if not detail.get("email") else None)
    if not name:
        name = (entry.get("source") or {}).get("title")  # aggregators: the publisher of the story
    return clean_title(name) or None


def _feed_author(feed: Any) -> str | None:
    # Atom: an entry without <author> inherits the feed's author. (RSS channel-level people, such as
    # managingEditor, are not the authors of the items.)
    name = (feed.get("author_detail") or {}).get("name")
    return clean_title(name) or None


def _strip_publisher_suffix(title: str, entry: Any) -> str:
    # Aggregators (Google News) append " - Publisher" to every title; the publisher is already the author.
    publisher = clean_title((entry.get("source") or {}).get("title"))
    suffix = f" - {publisher}"
    if publisher and title.endswith(suffix) and len(title) > len(suffix):
        return title[: -len(suffix)].rstrip()
    return title


def _entry_language(entry: Any) -> str | None:
    # feedparser carries xml:lang on each text construct; RSS items have none and use the feed's.
    for key in ("title_detail", "summary_detail"):
        language = normalize_language((entry.get(key) or {}).get("language"))
        if language:
            return language
    return None


def _published_at(entry: Any, now: datetime) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None
    if when > now + _FUTURE_TOLERANCE or when < _OLDEST_DATE:
        return None
    return when


def _ttl_seconds(feed: Any) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60  # RSS 2.0 <ttl> is in minutes
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency") or "1").strip()
    times = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
    return period // times


def _bozo_problem(parsed: Any) -> str | None:
    """Why feedparser fell back to its lenient parser: 'not well-formed (invalid token) at line 12'."""
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, _HARMLESS_BOZO):
        logger.info("feed parsed with a fix-up", extra={"feed_warning": str(exc)})
        return None
    message = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)
    line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
    return f"{message} at line {line}" if line else message


def _describe_non_feed(body: bytes) -> str:
    start = body[:512].lstrip().lower()
    if start.startswith(b"\xef\xbb\xbf"):
        start = start[3:].lstrip()
    if not start:
        return "empty body"
    if start[:1] in (b"{", b"["):
        return "looks like JSON"
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        return "looks like an HTML page"
    return "no RSS, Atom or RDF root element"


def _ascii_view(prefix: bytes) -> bytes:
    # UTF-16/32 documents would hide "<!ENTITY" between NUL bytes: decode them to scan the same text.
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):  # fmt: skip
        if prefix.startswith(bom):
            return prefix[len(bom) :].decode(codec, "ignore").encode("utf-8", "ignore")
    if b"\x00" in prefix[:4]:
        codec = "utf-16-le" if prefix[:1] != b"\x00" else "utf-16-be"
        if prefix[:4] in (b"<\x00\x00\x00", b"\x00\x00\x00<"):
            codec = "utf-32-le" if prefix[:1] == b"<" else "utf-32-be"
        return prefix.decode(codec, "ignore").encode("utf-8", "ignore")
    return prefix
