"""The one registry of source kinds: every collector Vigie can run, by `kind`."""

from __future__ import annotations

from collectors.appstore import AppStoreCollector
from collectors.base import Collector
from collectors.bluesky import BlueskyCollector
from collectors.gdelt import GdeltCollector
from collectors.googlenews import GoogleNewsCollector
from collectors.hackernews import HackerNewsCollector
from collectors.lemmy import LemmyCollector
from collectors.mastodon import MastodonCollector
from collectors.reddit import RedditCollector
from collectors.replay import ReplayCollector
from collectors.rss import RssCollector
from collectors.stackexchange import StackExchangeCollector
from collectors.youtube import YouTubeCollector

# Kinds a user can create. Internal kinds ("api", "import") hold pushed/imported mentions and are never fetched.
# Adding a kind: one module in collectors/, one fixture folder in tests/fixtures/<kind>/, one line here.
COLLECTORS: dict[str, Collector] = {
    c.kind: c
    for c in (
        RssCollector(),
        ReplayCollector(),
        HackerNewsCollector(),
        GdeltCollector(),
        StackExchangeCollector(),
        BlueskyCollector(),
        RedditCollector(),
        MastodonCollector(),
        LemmyCollector(),
        GoogleNewsCollector(),
        YouTubeCollector(),
        AppStoreCollector(),
    )
}
INTERNAL_KINDS = ("api", "import")


def get_collector(kind: str) -> Collector:
    """The collector for `kind`; KeyError with the list of known kinds otherwise."""
    try:
        return COLLECTORS[kind]
    except KeyError:
        raise KeyError(f"unknown source kind {kind!r}; known kinds: {', '.join(sorted(COLLECTORS))}") from None


def validate_source(kind: str, url: str | None, params: dict) -> None:
    """Raise ValueError with a clear message when a source's kind, URL or params are unusable."""
    try:
        collector = get_collector(kind)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    collector.validate(url, params)
