"""Apple App Store customer reviews of one app, per storefront, through the iTunes RSS feed in JSON.

Feed: `GET https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`,
pages 1 to 10 of 50 reviews, newest first (page 11 is an HTTP 400). Answers `{"feed": {"entry": [...],
"link": [...], ...}}`; `entry` is an object, not a list, when there is one review, and is missing when there
is none. Older answers list the app itself first on page 1 (`im:name`, no `im:rating`): it is skipped. A
review: `id.label` (a number, increasing over time), `im:rating.label` ("1".."5"), `im:version.label`,
`title.label`, `content.label`, `author.name.label`, `im:voteCount`/`im:voteSum`, `updated.label` (missing in
older answers). The feed's `link` rel="last" names its last page.

The rating goes into `engagement["rating"]` (with `votes` and `helpful`), never into the text. The title is
"v5.2.0 · <review title>" (with `app_name` first when given): a storm of bad reviews after a release shows its
version in every mention, and `app_name` lets the brand query match reviews that do not name the app.

Incremental per storefront: the cursor keeps the highest review id read. A poll reads pages until the page
whose oldest review is not newer than that id (or the last page, or `max_pages`). Apple serves an empty page
now and then: the read then counts as incomplete and the cursor stays, so the next poll reads the same
reviews again (the pipeline drops those already stored) rather than skip the ones behind the empty page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from collectors.api import ApiCollector, Params, as_int, counts, from_iso
from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher
from collectors.text import clean_title, html_to_text

PACE = 2.0  # seconds between two requests to the host (Apple throttles its RSS feeds)
PAGE_SIZE = 50
REVIEWS_PATH = "/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
REVIEW_URL = "https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews&reviewId={review_id}"
_LAST_PAGE = re.compile(r"/page=(\d+)/")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


class AppStoreParams(Params):
    """Parameters of an `appstore` source."""

    app_id: str = Field(description="the number in the app's store URL: apps.apple.com/fr/app/acme/id389801252")
    countries: list[str] = Field(["fr"], min_length=1, max_length=40, description="storefronts read: fr, be, ca...")
    app_name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="put before each review's title so that brand queries match reviews not naming the app",
    )
    max_pages: int = Field(3, ge=1, le=10, description=f"pages of {PAGE_SIZE} reviews read per storefront at most")
    lookback_days: int = Field(7, ge=1, le=365, description="how far back the first poll looks")
    api_url: str = Field(
        "https://itunes.apple.com", pattern=r"^https?://", description="iTunes RSS base (a mirror or a test server)"
    )

    @field_validator("app_id", mode="before")
    @classmethod
    def _app_id(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            value = value.strip().removeprefix("id")
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and 1 <= len(value) <= 12):
            raise ValueError("the app's number is expected, e.g. 389801252 (apps.apple.com/fr/app/acme/id389801252)")
        return value

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return value
        codes: list[str] = []
        for code in value:
            if not isinstance(code, str) or not _COUNTRY.match(code.strip()):
                raise ValueError(f"{code!r} is not a two-letter storefront code such as fr, be, ca, us, gb")
            if code.strip().lower() not in codes:
                codes.append(code.strip().lower())
        return codes


def parse_reviews(
    document: Any, *, country: str, app_id: str, app_name: str | None = None, now: datetime | None = None
) -> list[MentionDraft]:
    """Drafts of one page, in the feed's order (newest first). Pure; entries that are not reviews are skipped."""
    feed = document.get("feed") if isinstance(document, dict) else None
    if not isinstance(feed, dict):
        raise FetchError("App Store answer has no `feed` object")
    entries = feed.get("entry")
    if isinstance(entries, dict):
        entries = [entries]  # a single review comes as an object
    if not isinstance(entries, list):
        return []  # no review at all: the `entry` key is missing
    drafts = []
    for entry in entries:
        draft = _draft(entry, country, app_id, app_name, now) if isinstance(entry, dict) else None
        if draft is not None:
            drafts.append(draft)
    return drafts


def last_page(document: Any) -> int | None:
    """The page number of the feed's rel="last" link; None when it has none."""
    feed = document.get("feed") if isinstance(document, dict) else None
    links = feed.get("link") if isinstance(feed, dict) else None
    for link in links if isinstance(links, list) else [links]:
        attributes = link.get("attributes") if isinstance(link, dict) else None
        if isinstance(attributes, dict) and attributes.get("rel") == "last":
            match = _LAST_PAGE.search(str(attributes.get("href") or ""))
            return int(match.group(1)) if match else None
    return None


def review_number(draft: MentionDraft) -> int:
    """The review's id as a number (the cursor compares them)."""
    return int(draft.external_id.rpartition(":")[2])


def _label(node: Any, *path: str) -> str:
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    value = node.get("label") if isinstance(node, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _draft(
    entry: dict[str, Any], country: str, app_id: str, app_name: str | None, now: datetime | None
) -> MentionDraft | None:
    if "im:rating" not in entry:
        return None  # the app itself, listed first on page 1 by older answers
    review_id = _label(entry, "id")
    if not (review_id.isascii() and review_id.isdigit()):
        return None
    review_title = clean_title(_label(entry, "title"))
    text = _content(entry.get("content"))
    if not review_title and not text:
        return None
    rating = as_int(_label(entry, "im:rating"))
    return MentionDraft(
        external_id=f"appstore:{review_id}",
        url=REVIEW_URL.format(country=country, app_id=app_id, review_id=review_id),
        title=_title(review_title, _label(entry, "im:version"), app_name),
        text=text,
        author=clean_title(_label(entry, "author", "name")) or None,
        engagement=counts(
            rating=rating if rating is not None and 1 <= rating <= 5 else None,
            votes=_label(entry, "im:voteCount"),
            helpful=_label(entry, "im:voteSum"),
        ),
        published_at=from_iso(_label(entry, "updated"), now),
    )


def _content(node: Any) -> str:
    # One {"label", "attributes": {"type": "text"}} object; some answers add a second, type "html", copy.
    nodes = [n for n in (node if isinstance(node, list) else [node]) if isinstance(n, dict)]
    texts = [n for n in nodes if isinstance(n.get("label"), str)]
    plain = [n for n in texts if (n.get("attributes") or {}).get("type") != "html"]
    chosen = plain or texts
    return html_to_text(chosen[0]["label"]) if chosen else ""


def _title(review_title: str, version: str, app_name: str | None) -> str:
    # No stars and no "1/5" here: stars tip the language detection of 1-3 word reviews towards English, and
    # "1/5" is a sentiment cue of the French lexicon; the rating travels in engagement["rating"] instead.
    prefix = " ".join(p for p in ((app_name or "").strip(), f"v{version}" if version else "") if p)
    if not prefix:
        return review_title
    return f"{prefix} · {review_title}" if review_title else prefix


class AppStoreCollector(ApiCollector):
    """Source kind `appstore`."""

    kind = "appstore"
    description = "Apple App Store customer reviews of app `app_id` in the storefronts `countries`, newest first."
    Params = AppStoreParams

    def fetch(self, params: AppStoreParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Read each storefront down to its cursor; a failure after some reviews keeps them (partial)."""
        now = datetime.now(UTC)
        stored = state.cursor.get("last_ids")
        stored = stored if isinstance(stored, dict) else {}
        last_ids = {c: v for c, v in stored.items() if c in params.countries and isinstance(v, int)}
        drafts: list[MentionDraft] = []
        for country in params.countries:
            try:
                found, newest = self._read_storefront(params, country, last_ids.get(country), now, http)
            except FetchError as exc:
                if not drafts:
                    raise
                return FetchOutcome(
                    drafts=drafts,
                    http_status=exc.http_status,
                    error=f"storefront {country}: {exc}",
                    cursor={"last_ids": last_ids},
                    retry_after_seconds=exc.retry_after,
                )
            drafts.extend(found)
            if newest is not None:
                last_ids[country] = newest
        return FetchOutcome(drafts=drafts, http_status=200, cursor={"last_ids": last_ids})

    def _read_storefront(
        self, params: AppStoreParams, country: str, boundary: int | None, now: datetime, http: Fetcher
    ) -> tuple[list[MentionDraft], int | None]:
        """The reviews newer than `boundary` (first poll: of the last lookback_days) and the new cursor."""
        since = now - timedelta(days=params.lookback_days) if boundary is None else None
        found: list[MentionDraft] = []
        read: set[int] = set()
        complete = True  # False: stopped early by an empty page, the cursor must not move
        for page in range(1, params.max_pages + 1):
            url = params.api_url.rstrip("/") + REVIEWS_PATH.format(country=country, page=page, app_id=params.app_id)
            document, _ = http.get_json(url, pace=PACE)
            reviews = parse_reviews(document, country=country, app_id=params.app_id, app_name=params.app_name, now=now)
            last = last_page(document)
            if not reviews:
                # Apple serves an empty page now and then: before the cursor's review (or, on a first poll,
                # before the last page listed) the list cannot have ended, so the read is incomplete.
                complete = boundary is None and (last is None or page >= last)
                break
            numbers = [review_number(d) for d in reviews]
            if read.issuperset(numbers):
                break  # the feed served a page again: nothing further down
            for draft, number in zip(reviews, numbers, strict=True):
                newer = boundary is None or number > boundary
                recent = since is None or draft.published_at is None or draft.published_at >= since
                if newer and recent and number not in read:
                    found.append(draft)
            read.update(numbers)
            oldest = reviews[-1]
            if boundary is not None and numbers[-1] <= boundary:
                break  # the list reached reviews already read: the pages behind hold only older ones
            if since is not None and oldest.published_at is not None and oldest.published_at < since:
                break
            if (last is not None and page >= last) or (last is None and len(reviews) < PAGE_SIZE):
                break
        if not complete:
            return found, boundary
        return found, max([*read, boundary or 0]) or None
