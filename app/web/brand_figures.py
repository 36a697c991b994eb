"""A brand's figures over a period for the brand view: per bucket (hours of the last day, or local days) the
counts by sentiment, negative share and mean risk as GET /stats/volume computes them, the volume detection
expected (app.volume's baseline), the brand's usual negative share and risk (the four weeks before), and its share
of voice against the competitors."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app import stats
from app.storage import stats as store
from app.volume import VolumeSeries, brand_volume

HOUR = timedelta(hours=1)
USUAL = timedelta(days=28)  # "usual" negative share and risk: the four weeks before the period, as detection's history


@dataclass(frozen=True, slots=True)
class Period:
    """A choice of the period selector: its key in the URL, bucket size and number of buckets."""

    key: str
    interval: str  # "hour" or "day"
    steps: int


PERIODS = {p.key: p for p in (Period("24h", "hour", 24), Period("7d", "day", 7), Period("30d", "day", 30))}
DEFAULT_PERIOD = "7d"


@dataclass(slots=True)
class BrandFigures:
    """Buckets [bounds[i], bounds[i+1]) with their figures (app.stats.volume_figures) and expected volume."""

    bounds: list[datetime]
    buckets: list[dict[str, Any]]
    expected: list[float]
    total: dict[str, Any]
    usual: dict[str, Any]

    @property
    def expected_total(self) -> float:
        return round(sum(self.expected), 1)


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def period_bounds(period: Period, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """The buckets' bounds: the 24 whole hours ending with the current one, or the local days ending with today."""
    if period.interval == "hour":
        end = _floor_hour(now) + HOUR
        return [end - (period.steps - i) * HOUR for i in range(period.steps + 1)]
    first_day = now.astimezone(tz).date() - timedelta(days=period.steps - 1)
    since = datetime.combine(first_day, time(), tzinfo=tz).astimezone(now.tzinfo)
    return stats.bucket_bounds(since, now, "day", tz)


def expected_per_bucket(hourly: VolumeSeries, bounds: list[datetime]) -> list[float]:
    """The baseline's expected mentions of each bucket, summed from its hours (only the hours up to the current
    one: today's bucket expects what should have come so far)."""
    out = [0.0] * (len(bounds) - 1)
    for start, expected in zip(hourly.starts, hourly.expected, strict=True):
        if bounds[0] <= start < bounds[-1]:
            out[stats.bucket_index(bounds, start)] += expected
    return [round(v, 2) for v in out]


def brand_figures(
    conn: sa.Connection, *, workspace: dict[str, Any], brand: dict[str, Any], period: Period, now: datetime
) -> BrandFigures:
    """The brand's figures per bucket of `period` ending now, against its baseline."""
    tz = ZoneInfo(workspace["timezone"])
    bounds = period_bounds(period, now, tz)
    where = {"workspace_id": workspace["id"], "brand_id": brand["id"]}
    cells, _ = store.range_cells(conn, since=bounds[0], until=bounds[-1], bounds=bounds, **where)
    counts = stats.fill_buckets(bounds, cells)
    total = stats.zero_counts()
    for c in counts:
        stats.add_cell(total, c)
    hours = math.ceil((_floor_hour(now) + HOUR - _floor_hour(bounds[0])) / HOUR)
    hourly = brand_volume(conn, workspace=workspace, brand=brand, until=now, steps=hours, step=HOUR)
    before = [bounds[0] - USUAL, bounds[0]]
    usual_cells, _ = store.range_cells(conn, since=before[0], until=before[1], bounds=before, **where)
    usual = stats.zero_counts()
    for cell in usual_cells:
        stats.add_cell(usual, cell)
    return BrandFigures(
        bounds=bounds,
        buckets=[stats.volume_figures(c) for c in counts],
        expected=expected_per_bucket(hourly, bounds),
        total=stats.volume_figures(total),
        usual=stats.volume_figures(usual),
    )


def share_of_voice(
    conn: sa.Connection, *, workspace_id: int, brand: dict[str, Any], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The brand and the competitors (every brand, when the brand is itself a competitor): mentions in
    [since, until) and share of their sum, largest first, the brand first among equals."""
    rows = store.workspace_brands(conn, workspace_id=workspace_id)
    if not brand["is_competitor"]:
        rows = [r for r in rows if r["id"] == brand["id"] or r["is_competitor"]]
    cells, _ = store.range_cells(conn, workspace_id=workspace_id, since=since, until=until, bounds=[since, until])
    counts: Counter[int] = Counter()
    for cell in cells:
        counts[cell["brand_id"]] += cell["mentions"]
    total = sum(counts[r["id"]] for r in rows)
    out = [
        {**r, "mentions": counts[r["id"]], "share": stats.share(counts[r["id"]], total), "this": r["id"] == brand["id"]}
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r["mentions"], not r["this"], r["name"]))
