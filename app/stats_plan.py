"""Which table answers which part of a statistics range, pure: the coarsest rollups that fit each bucket exactly.

Each bucket [b_i, b_i+1) of the answer is cut into, from the outside in: raw mentions for the ragged ends (not on a
quarter hour), 15-minute rollups up to the first whole UTC hour, hourly rollups up to the first local midnight of the
workspace, and daily rollups in the middle. A piece never spans two buckets, so every row read lands in one bucket.

Before the purge horizon the mentions are gone: there, ragged ends are rounded out to whole 15-minute buckets (the
quarter holding `since`, or `until`, is counted whole) rather than under-counted, and the plan says so (`rounded`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.storage.rollup_levels import HOUR, ceil_to, floor_to

QUARTER = timedelta(minutes=15)
LEVELS = ("day", "hour", "quarter", "raw")
# What each level is called in an answer's `read_from`; "rollups" stays the 15-minute rows' name.
READ_FROM = {"day": "daily_rollups", "hour": "hourly_rollups", "quarter": "rollups", "raw": "mentions"}
ROUNDED = "rounded_to_15_minutes"

Span = tuple[datetime, datetime]


@dataclass(slots=True)
class ReadPlan:
    """The UTC ranges to read from each level (adjacent ranges merged), and whether purged ends were rounded."""

    ranges: dict[str, list[Span]] = field(default_factory=lambda: {level: [] for level in LEVELS})
    rounded: bool = False

    def add(self, level: str, start: datetime, end: datetime) -> None:
        if start >= end:
            return
        spans = self.ranges[level]
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))

    @property
    def read_from(self) -> list[str]:
        """The `read_from` of an answer: the levels read, coarsest first, then `rounded_to_15_minutes` if so."""
        return [READ_FROM[level] for level in LEVELS if self.ranges[level]] + ([ROUNDED] if self.rounded else [])


def plan_reads(
    since: datetime,
    until: datetime,
    bounds: list[datetime],
    *,
    days: Iterable[datetime] = (),
    purged_before: datetime | None = None,
) -> ReadPlan:
    """The plan for [since, until) answered in buckets `bounds` (b0 ≤ since < … ≥ until). `days` are the workspace's
    local midnights (the daily rollups' bounds); `purged_before` is its purge horizon (a quarter boundary)."""
    plan = ReadPlan()
    midnights = sorted(d for d in days if floor_to(d, QUARTER) == d)  # historical offsets (LMT) are not quarters
    edges = {since, until, *(b for b in bounds if since < b < until)}
    if purged_before is not None and since < purged_before < until:
        edges.add(purged_before)
    ordered = sorted(edges)
    for start, end in zip(ordered, ordered[1:], strict=False):
        if purged_before is not None and end <= purged_before:
            _purged(plan, start, end, first=start == since, midnights=midnights)
        else:
            _live(plan, start, end, midnights)
    return plan


def _live(plan: ReadPlan, start: datetime, end: datetime, midnights: list[datetime]) -> None:
    inner_start, inner_end = ceil_to(start, QUARTER), floor_to(end, QUARTER)
    if inner_start >= inner_end:
        plan.add("raw", start, end)
        return
    plan.add("raw", start, inner_start)
    _cover(plan, inner_start, inner_end, midnights)
    plan.add("raw", inner_end, end)


def _purged(plan: ReadPlan, start: datetime, end: datetime, *, first: bool, midnights: list[datetime]) -> None:
    # A quarter belongs to the piece holding its start (or `since`, for the one it splits): each is read once.
    outer_start = floor_to(start, QUARTER) if first else ceil_to(start, QUARTER)
    outer_end = ceil_to(end, QUARTER)
    plan.rounded = plan.rounded or outer_start != start or outer_end != end
    if outer_start < outer_end:
        _cover(plan, outer_start, outer_end, midnights)


def _cover(plan: ReadPlan, start: datetime, end: datetime, midnights: list[datetime]) -> None:
    """[start, end) on quarter boundaries: whole local days from the daily rows, the rest by hours and quarters."""
    inside = [d for d in midnights if start <= d <= end]
    if len(inside) >= 2:
        _hours(plan, start, inside[0])
        plan.add("day", inside[0], inside[-1])
        _hours(plan, inside[-1], end)
    else:
        _hours(plan, start, end)


def _hours(plan: ReadPlan, start: datetime, end: datetime) -> None:
    inner_start, inner_end = ceil_to(start, HOUR), floor_to(end, HOUR)
    if inner_start >= inner_end:
        plan.add("quarter", start, end)
        return
    plan.add("quarter", start, inner_start)
    plan.add("hour", inner_start, inner_end)
    plan.add("quarter", inner_end, end)
