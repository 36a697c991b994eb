"""Synthetic mention streams for detection tests: a brand's ordinary traffic, and what happens to it.

Deterministic (seeded), with the shapes that matter to detection: quiet nights, busy weekday hours,
a share of complaints, heavy-tailed author reach, and reposts arriving in bursts after a post.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.detection import MentionPoint

MONDAY = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday; no DST change in the month that follows in Europe
# Relative activity by local hour: nights quiet, mornings and afternoons busy.
HOURLY = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.3, 1.8, 1.7, 1.6,
          1.3, 1.4, 1.6, 1.6, 1.5, 1.4, 1.2, 1.1, 1.0, 0.8, 0.5, 0.2)  # fmt: skip


def office_rhythm(tz: str, *, weekend: float = 0.5) -> Callable[[datetime], float]:
    """Relative activity at a moment, local time: HOURLY, damped on weekends."""
    zone = ZoneInfo(tz)

    def factor(at: datetime) -> float:
        local = at.astimezone(zone)
        return HOURLY[local.hour] * (weekend if local.weekday() >= 5 else 1.0)

    return factor


@dataclass
class Traffic:
    """Builds mentions with unique ids; every method returns the mentions it added."""

    seed: int = 1
    points: list[MentionPoint] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ids = itertools.count(1)

    def mention(self, at: datetime, *, negative: bool = False, source: int = 1, reach: int | None = None,
                terms: tuple[str, ...] = (), risk: int | None = None, author: str | None = None) -> MentionPoint:  # fmt: skip  # noqa: E501
        """One mention; risk defaults to a plausible value for its tone, words and audience."""
        reach = reach if reach is not None else min(2_000_000, int(math.exp(self.rng.gauss(math.log(300), 1.5))))
        if risk is None:
            risk = (25 if negative else 3) + (35 if terms and negative else 0) + (15 if reach >= 50_000 else 0)
        point = MentionPoint(
            mention_id=next(self.ids),
            published_at=at,
            source_id=source,
            author=author or f"user{self.rng.getrandbits(32)}",
            author_reach=reach,
            negative=negative,
            complaint=negative and self.rng.random() < 0.6,
            risk=min(100, risk),
            crisis_terms=terms,
        )
        self.points.append(point)
        return point

    def background(self, start: datetime, end: datetime, per_hour: float, *, rhythm=None, negative_share=0.2,
                   sources: Iterable[int] = (1,), reposts: float = 0.0) -> list[MentionPoint]:  # fmt: skip
        """Ordinary traffic of `per_hour` mentions on average (times `rhythm`), a share of it negative."""
        sources = tuple(sources)
        added: list[MentionPoint] = []
        t = start
        while t < end:
            rate = per_hour * (rhythm(t) if rhythm else 1.0) / (1 + reposts)
            for _ in range(_poisson(self.rng, rate * 5 / 60)):
                at = t + timedelta(seconds=self.rng.uniform(0, 300))
                negative, source = self.rng.random() < negative_share, self.rng.choice(sources)
                added.append(self.mention(at, negative=negative, source=source))
                for _ in range(_poisson(self.rng, reposts)):
                    later = at + timedelta(seconds=self.rng.expovariate(1 / 300))
                    added.append(self.mention(later, negative=negative, source=source))
            t += timedelta(minutes=5)
        return [p for p in added if p.published_at < end]

    def burst(self, start: datetime, minutes: float, count: int, *, negative_share: float, source: int = 1,
              terms: tuple[str, ...] = (), terms_share: float = 0.0, reach: int | None = None) -> list[MentionPoint]:  # fmt: skip  # noqa: E501
        """`count` mentions spread evenly over `minutes` from `start`: a storm, a launch, a contest."""
        added = []
        for i in range(count):
            at = start + timedelta(minutes=minutes * (i + 0.5) / count)
            negative = math.floor((i + 1) * negative_share) > math.floor(i * negative_share)  # spread evenly
            with_terms = terms if negative and self.rng.random() < terms_share else ()
            added.append(self.mention(at, negative=negative, source=source, terms=with_terms, reach=reach))
        return added


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
