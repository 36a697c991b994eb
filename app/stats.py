"""Statistics, pure: local-time buckets (a DST day has 23 or 25 hours), counts gathered into buckets, and percentiles.
Which table answers which part of a range is app.stats_plan."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from app.detect import crisis_terms_of
from app.storage.rollups import COUNTS

Interval = Literal["minute", "hour", "day"]
# The longest range each bucket size may cover: at most a few thousand buckets in one answer.
MAX_SPAN: dict[str, timedelta] = {"minute": timedelta(days=2), "hour": timedelta(days=92), "day": timedelta(days=1096)}
SPAN_WORDS = {"minute": "2 days", "hour": "92 days", "day": "3 years (1,096 days)"}


class StatsRangeError(ValueError):
    """A range the statistics refuse, with a message for the user."""


def check_range(since: datetime, until: datetime, interval: str) -> None:
    """Refuse naive datetimes, empty ranges and ranges too long for the bucket size."""
    for name, value in (("since", since), ("until", until)):
        if value.tzinfo is None:
            raise StatsRangeError(f"{name}: add a time zone, e.g. 2026-10-03T21:00:00+02:00 or Z")
    if until <= since:
        raise StatsRangeError("until must be after since")
    if until - since > MAX_SPAN[interval]:
        raise StatsRangeError(
            f"{interval} buckets cover at most {SPAN_WORDS[interval]}; shorten the range or use a larger interval"
        )


def bucket_bounds(since: datetime, until: datetime, interval: Interval, tz: ZoneInfo) -> list[datetime]:
    """UTC instants b0 ≤ since < b1 < … < bn ≥ until where local-time buckets of `tz` start (local midnights
    for days, so a DST day is 23 or 25 hours long)."""
    if interval == "day":
        day = since.astimezone(tz).date()
        bounds = [_midnight(day, tz)]
        while bounds[-1] < until:
            day += timedelta(days=1)
            bounds.append(_midnight(day, tz))
        return bounds
    step = timedelta(minutes=1) if interval == "minute" else timedelta(hours=1)
    local = since.astimezone(tz)
    minute = local.minute if interval == "minute" else 0
    bounds = [local.replace(minute=minute, second=0, microsecond=0).astimezone(UTC)]
    while bounds[-1] < until:
        bounds.append(bounds[-1] + step)  # hours are whole hours in UTC too (offsets change by whole hours)
    return bounds


def _midnight(day: Any, tz: ZoneInfo) -> datetime:
    # A midnight skipped by a DST change (e.g. America/Santiago) is read with the old offset: the day starts at 01:00.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def zero_counts() -> dict[str, int]:
    """Counts of an empty bucket."""
    return dict.fromkeys(COUNTS, 0)


def add_cell(counts: dict[str, int], cell: dict[str, Any]) -> None:
    """Add a rollup row (or raw mentions counted the same way) to a bucket's counts."""
    for name in COUNTS:
        if name == "risk_max":
            counts[name] = max(counts[name], cell[name] or 0)
        else:
            counts[name] += cell[name] or 0


def bucket_index(bounds: list[datetime], at: datetime) -> int:
    """Which bucket [bounds[i], bounds[i+1]) holds `at` (a cell's start: the first may start before `since`)."""
    return min(max(bisect_right(bounds, at) - 1, 0), len(bounds) - 2)


def fill_buckets(bounds: list[datetime], cells: Iterable[dict[str, Any]]) -> list[dict[str, int]]:
    """The counts of each bucket [bounds[i], bounds[i+1]), from cells (`at`: their UTC start, within range)."""
    buckets = [zero_counts() for _ in bounds[:-1]]
    for cell in cells:
        add_cell(buckets[bucket_index(bounds, cell["at"])], cell)
    return buckets


def volume_figures(counts: dict[str, int]) -> dict[str, Any]:
    """A bucket's figures as the API shows them: counts, negative share and average and maximum risk."""
    n = counts["mentions"]
    return {
        "mentions": n,
        "negative": counts["negative"],
        "neutral": counts["neutral"],
        "positive": counts["positive"],
        "negative_share": round(counts["negative"] / n, 4) if n else 0.0,
        "complaints": counts["complaints"],
        "avg_risk": round(counts["risk_sum"] / n, 1) if n else 0.0,
        "max_risk": counts["risk_max"],
    }


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-quantile (0 < q ≤ 1) by nearest rank: a value that was observed; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def share(part: int, total: int) -> float:
    """part / total, rounded, 0 when there is nothing."""
    return round(part / total, 4) if total else 0.0


def top_terms(rows: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The crisis terms (from the risk reasons) and the brand's matched terms of mentions (`scores`,
    `matched_terms`), by how many mentions hold each: `limit` of each kind."""
    crisis: Counter[str] = Counter()
    brand: Counter[str] = Counter()
    for row in rows:
        crisis.update(set(crisis_terms_of(row["scores"])))
        brand.update({t.lower() for t in row["matched_terms"] or []})
    return [
        {"term": term, "kind": kind, "mentions": n}
        for kind, counter in (("crisis", crisis), ("brand", brand))
        for term, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]
    ]
