"""A brand's mentions as a time series: fixed buckets by publication time, each with the aggregates detection uses.

Buckets are keyed by when a mention was published, not when Vigie saw it: a feed polled every 30 minutes
must not turn a steady conversation into a pulse every half hour. Empty buckets are kept, because a quiet
hour is data (the baseline and the silence detector need the zeros).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# A crisis word counts towards a storm only in a negative mention, or in one the scorer found risky anyway
# (a neutral news report of a recall). "RT pour gagner !" in a contest carries a call to share (a crisis
# term) in a cheerful post: alerts.risk divides its weight by four, so it stays under this floor.
CRISIS_RISK_FLOOR = 40


@dataclass(frozen=True, slots=True)
class MentionPoint:
    """One stored mention, as detection sees it: when, where, who, and what the scorer said."""

    mention_id: int
    published_at: datetime  # aware, UTC
    source_id: int
    author: str | None
    author_reach: int | None
    negative: bool
    complaint: bool
    risk: int  # 0-100, from alerts.risk
    crisis_terms: tuple[str, ...] = ()  # crisis terms found in the mention
    engagement: int = 0
    sentiment: str | None = None  # "negative" | "neutral" | "positive": for the incident's sentiment split


@dataclass(slots=True)
class Bucket:
    """The aggregates of the mentions published in [start, start + width)."""

    start: datetime
    volume: int = 0
    negative: int = 0
    complaint: int = 0
    negative_reach: int = 0  # sum of the reach of the negative mentions' authors (each author once)
    crisis_terms: int = 0  # mentions with a crisis term that count (see CRISIS_RISK_FLOOR)
    sources: frozenset[int] = frozenset()
    terms: Counter = field(default_factory=Counter)  # crisis term -> mentions carrying it
    negative_authors: dict[str, int] = field(default_factory=dict)  # author -> largest reach, negative mentions
    by_source: Counter = field(default_factory=Counter)  # source_id -> mentions


@dataclass(slots=True)
class WindowTotals:
    """Buckets added up over a window: what the storm detector scores."""

    volume: int = 0
    negative: int = 0
    complaint: int = 0
    crisis_terms: int = 0
    terms: Counter = field(default_factory=Counter)
    negative_authors: dict[str, int] = field(default_factory=dict)
    by_source: Counter = field(default_factory=Counter)

    @property
    def negative_reach(self) -> int:
        """Reach of the distinct negative authors (an author posting ten times reaches the same people)."""
        return sum(self.negative_authors.values())


def _epoch(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: detection works on aware UTC times")
    return at.timestamp()


def bucketize(points: Iterable[MentionPoint], *, start: datetime, end: datetime, minutes: int) -> list[Bucket]:
    """Buckets of `minutes` from `start` up to `end` (the last one may end after it), empty ones included.

    Points outside [start, end) are ignored. One pass, integer arithmetic on POSIX seconds: ~1 µs a point.
    """
    width = minutes * 60
    t0, t_end = _epoch(start), _epoch(end)
    count = max(0, -int((t0 - t_end) // width))  # ceil
    buckets = [Bucket(start=start + timedelta(seconds=i * width)) for i in range(count)]
    anonymous = 0
    for p in points:
        t = p.published_at.timestamp()
        if t < t0 or t >= t_end:
            continue
        b = buckets[int((t - t0) // width)]
        b.volume += 1
        b.by_source[p.source_id] += 1
        if p.crisis_terms and (p.negative or p.risk >= CRISIS_RISK_FLOOR):
            b.crisis_terms += 1
            b.terms.update(set(p.crisis_terms))
        if p.complaint:
            b.complaint += 1
        if p.negative:
            b.negative += 1
            if p.author is None:  # unknown authors are distinct people: never merge them
                anonymous += 1
                author = f"#anonymous-{anonymous}"
            else:
                author = p.author
            reach = p.author_reach or 0
            if reach > b.negative_authors.get(author, -1):
                b.negative_authors[author] = reach
    for b in buckets:
        b.sources = frozenset(b.by_source)
        b.negative_reach = sum(b.negative_authors.values())
    return buckets


def add_up(buckets: Sequence[Bucket]) -> WindowTotals:
    """The totals of consecutive buckets; an author counts once, with the largest reach seen."""
    out = WindowTotals()
    for b in buckets:
        out.volume += b.volume
        out.negative += b.negative
        out.complaint += b.complaint
        out.crisis_terms += b.crisis_terms
        if b.terms:
            out.terms.update(b.terms)
        for source, count in b.by_source.items():
            out.by_source[source] += count
        for author, reach in b.negative_authors.items():
            if reach > out.negative_authors.get(author, -1):
                out.negative_authors[author] = reach
    return out
