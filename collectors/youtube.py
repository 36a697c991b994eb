"""YouTube channel and playlist feeds: the latest videos of a channel (or of a playlist) with their views.

Feed: `GET https://www.youtube.com/feeds/videos.xml?channel_id=UC...` or `?playlist_id=PL...` — Atom, the 15
latest videos, no paging. Each entry has `<yt:videoId>` and a `<media:group>` holding the description and
`<media:community>`: `<media:statistics views="N"/>` and `<media:starRating count="likes" .../>` (YouTube
counts likes there since dislikes were hidden). Views and likes become the engagement of the mention.
Dedup on `yt:video:<id>`. Incremental: conditional GET, then the video ids already returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from collectors.api import ApiCollector, Params, counts
from collectors.base import FetchDeferred, FetchError, FetchOutcome, MentionDraft, SourceState
from collectors.feedsource import collect_feed
from collectors.http import Fetcher
from collectors.rss import ParsedFeed, parse_feed

PACE = 1.0  # seconds between two requests to the host
FEED_PATH = "/feeds/videos.xml"
WATCH_URL = "https://www.youtube.com/watch?v={}"
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class YouTubeParams(Params):
    """Parameters of a `youtube` source: exactly one of channel_id and playlist_id."""

    channel_id: str | None = Field(None, description="channel id: UC + 22 characters (channel page → Share → ID)")
    playlist_id: str | None = Field(None, description="playlist id (PL..., or UU + a channel id without UC)")
    api_url: str = Field(
        "https://www.youtube.com", pattern=r"^https?://", description="YouTube base (a mirror or a test server)"
    )

    @field_validator("channel_id")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 24 and value.startswith("UC") and set(value) <= _ID_CHARS):
            raise ValueError(f"{value[:40]!r} is not a channel id: UC followed by 22 letters, digits, - or _")
        return value

    @field_validator("playlist_id")
    @classmethod
    def _playlist_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("UC") and len(value) == 24:
            raise ValueError(f"{value!r} is a channel id: give it as channel_id")
        if not 10 <= len(value) <= 64 or not set(value) <= _ID_CHARS:
            raise ValueError(f"{value[:40]!r} is not a playlist id (letters, digits, - and _ after PL, UU, OL...)")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> YouTubeParams:
        if (self.channel_id is None) == (self.playlist_id is None):
            raise ValueError("give exactly one of channel_id (UC...) and playlist_id (PL...)")
        return self


def read_media(entry: Any, draft: MentionDraft) -> None:
    """The YouTube parts parse_feed leaves aside: the video id, views and likes (feedparser's media_*)."""
    video_id = str(entry.get("yt_videoid") or "").strip()
    if video_id:
        draft.external_id = f"yt:video:{video_id}"
        draft.url = draft.url or WATCH_URL.format(video_id)
    statistics = entry.get("media_statistics") or {}
    rating = entry.get("media_starrating") or {}
    draft.engagement = counts(views=statistics.get("views"), likes=rating.get("count"))


def parse_videos(body: bytes, *, now: datetime | None = None) -> ParsedFeed:
    """Drafts of one videos.xml answer (pure: what the collector does after the GET)."""
    return parse_feed(body, base_url="https://www.youtube.com" + FEED_PATH, now=now, on_entry=read_media)


class YouTubeCollector(ApiCollector):
    """Source kind `youtube`."""

    kind = "youtube"
    description = "Latest videos of a YouTube channel (`channel_id`) or playlist (`playlist_id`), with views and likes."
    Params = YouTubeParams

    def fetch(self, params: YouTubeParams, state: SourceState, http: Fetcher) -> FetchOutcome:
        """Conditional GET of the feed; the videos not returned before."""
        query = {"channel_id": params.channel_id} if params.channel_id else {"playlist_id": params.playlist_id}
        url = params.api_url.rstrip("/") + FEED_PATH
        try:
            return collect_feed(http, url, state, pace=PACE, params=query, on_entry=read_media)
        except FetchDeferred:
            raise
        except FetchError as exc:
            if exc.http_status == 404:
                name, value = next(iter(query.items()))
                raise FetchError(
                    f"YouTube has no feed for {name}={value} (HTTP 404): the channel or playlist does not exist or"
                    " is private (YouTube also answers 404 now and then: a single one is not conclusive)",
                    http_status=404,
                ) from None
            raise
