"""A brand's volume over time against its usual volume: the numbers behind the page's sparklines and charts.

Counts come from the 15-minute rollups; "usual" is the hour-of-week profile detection itself learns
(alerts.detection.baseline), from the four weeks before, past incidents left out, so the dashed line a CM
sees is the very baseline an incident was measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from alerts.detection.baseline import build_profile
from alerts.detection.config import for_brand
from alerts.detection.series import Bucket
from app.storage.incidents import incident_periods
from app.storage.stats import rollup_cells

QUARTER = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class VolumeSeries:
    """Mentions per step from `starts[i]` to `starts[i] + step`, and what was expected in each."""

    starts: list[datetime]
    counts: list[int]
    expected: list[float]
    negative: list[int]


def _floor(at: datetime, step: timedelta) -> datetime:
    width = step.total_seconds()
    return datetime.fromtimestamp(at.timestamp() // width * width, UTC)


def brand_volume(
    conn: sa.Connection,
    *,
    workspace: dict,
    brand: dict,
    until: datetime,
    steps: int = 24,
    step: timedelta = timedelta(hours=1),
) -> VolumeSeries:
    """The brand's mentions in the `steps` steps ending with the one holding `until`, with the expected count."""
    end = _floor(until, step) + step
    start = end - steps * step
    config = for_brand(brand.get("detection"))
    history_start = _floor(start - timedelta(days=config.history_days), QUARTER)
    cells = rollup_cells(conn, workspace_id=workspace["id"], since=history_start, until=end, brand_id=brand["id"])
    by_quarter = {c["at"]: c for c in cells}
    history = [
        Bucket(start=t, volume=by_quarter[t]["mentions"] if t in by_quarter else 0)
        for t in _quarters(history_start, start)
    ]
    if cells:  # history begins on the day of the first rollup: a new brand is not three silent weeks
        first = _floor(min(c["at"] for c in cells), timedelta(days=1))
        history = [b for b in history if b.start >= first]
    excluded = incident_periods(conn, workspace_id=workspace["id"], brand_id=brand["id"], since=history_start, now=end)
    profile = build_profile(history, tz=workspace["timezone"], excluded=excluded, config=config)
    starts = [start + i * step for i in range(steps)]
    counts, negative = [0] * steps, [0] * steps
    for cell in cells:
        if cell["at"] >= start:
            i = int((cell["at"] - start) / step)
            counts[i] += cell["mentions"]
            negative[i] += cell["negative"]
    expected = [round(profile.expected_between(s, s + step), 2) for s in starts]
    return VolumeSeries(starts=starts, counts=counts, expected=expected, negative=negative)


def _quarters(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / QUARTER)
    return [start + i * QUARTER for i in range(count)]
