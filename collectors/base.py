"""What every collector exchanges with the rest of Vigie: plain data, no database, no settings object."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(slots=True)
class MentionDraft:
    """One item read from a source, before matching, dedup and scoring."""

    external_id: str
    url: str | None
    title: str
    text: str
    author: str | None = None
    author_reach: int | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    lang: str | None = None  # language declared by the source, if any
    lang_reliable: bool = False  # True when the source declares it per item and gets it right (not a feed default)
    published_at: datetime | None = None  # timezone-aware UTC, None when the source gives none


@dataclass(slots=True)
class FetchLimits:
    """Network limits for one fetch, taken from settings by the caller."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0  # a server trickling bytes must not hold a fetch slot (and its lease) forever
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = "Vigie/0.1"
    allow_private: bool = False


@dataclass(slots=True)
class SourceState:
    """What a collector knows of a source between two fetches."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FetchOutcome:
    """Result of one collection of a source.

    `error` set and `drafts` non-empty means a partial read (e.g. a malformed feed): keep the drafts, record
    the problem. `not_modified` is a 304 answer. The hints feed the next-check computation.
    """

    drafts: list[MentionDraft] = field(default_factory=list)
    not_modified: bool = False
    http_status: int | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    cursor: dict[str, Any] | None = None  # new cursor to store, None leaves it unchanged
    ttl_seconds: int | None = None  # feed <ttl>
    retry_after_seconds: int | None = None
    max_age_seconds: int | None = None  # Cache-Control max-age
    deferred: bool = False  # the host's turn was too far away: nothing was asked, the source is simply due later


class FetchError(Exception):
    """A fetch that produced nothing usable; the message says why and never contains credentials."""

    def __init__(self, message: str, *, http_status: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after


class FetchDeferred(FetchError):
    """Not a failure: the host's turn is too far away (pacing, quota). The source is simply due again later."""

    def __init__(self, key: str, wait: float):
        seconds = max(1, math.ceil(wait))
        super().__init__(f"{key} is paced: next turn in {seconds}s, source deferred", retry_after=seconds)
        self.key = key


class Collector(Protocol):
    """A source kind: validates its parameters and collects one source."""

    kind: str
    description: str

    def validate(self, url: str | None, params: dict[str, Any]) -> None:
        """Raise ValueError with a clear message when url/params are unusable for this kind."""

    def collect(self, state: SourceState, http: Any) -> FetchOutcome:
        """Fetch through `http` (a collectors.http.Fetcher) and parse; FetchError when nothing could be read."""


CollectorFactory = Callable[[], Collector]
