"""Which rollups answer which part of a statistics range: the coarsest that fit exactly, never a row across two
buckets, every instant of the range read once, and the ragged ends of purged periods rounded, never read raw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import stats
from app.stats_plan import plan_reads

PARIS, KATHMANDU = ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Kathmandu")
UTC_ZONE = ZoneInfo("UTC")


def _plan(since, until, interval, tz, *, workspace_tz=PARIS, purged_before=None):
    bounds = stats.bucket_bounds(since, until, interval, tz) if interval else [since, until]
    days = stats.bucket_bounds(since, until, "day", workspace_tz)
    return bounds, plan_reads(since, until, bounds, days=days, purged_before=purged_before)


def _pieces(plan):
    return sorted((a, b, level) for level, spans in plan.ranges.items() for a, b in spans)


def _assert_tiles(plan, since, until, bounds, workspace_tz=PARIS):
    """The pieces cover [since, until) once, and every row read (a local day, hour, quarter or raw minute) lies
    inside one bucket: a bucket bound inside a piece is a bound of that piece's rows."""
    pieces = _pieces(plan)
    assert pieces[0][0] == since and pieces[-1][1] == until
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    midnights = set(stats.bucket_bounds(since, until, "day", workspace_tz))
    row_bound = {
        "day": lambda x: x in midnights,
        "hour": lambda x: x.minute == 0 and x.second == 0,
        "quarter": lambda x: x.minute % 15 == 0 and x.second == 0,
        "raw": lambda x: x.second == 0,
    }
    for a, b, level in pieces:
        assert all(row_bound[level](x) for x in bounds if a < x < b), (a, b, level)


def test_thirty_local_days_read_thirty_daily_rows() -> None:
    since, until = datetime(2026, 10, 1, tzinfo=PARIS), datetime(2026, 10, 31, tzinfo=PARIS)
    bounds, plan = _plan(since, until, "day", PARIS)
    assert plan.ranges["day"] == [(since, until)] and plan.read_from == ["daily_rollups"]
    _assert_tiles(plan, since, until, bounds)


def test_days_of_another_zone_read_hours_and_quarters() -> None:
    since, until = datetime(2026, 10, 1, tzinfo=KATHMANDU), datetime(2026, 10, 8, tzinfo=KATHMANDU)
    bounds, plan = _plan(since, until, "day", KATHMANDU)
    assert plan.read_from == ["hourly_rollups", "rollups"]  # +05:45: a local midnight is a quarter past a UTC hour
    assert not plan.ranges["raw"] and not plan.ranges["day"]
    _assert_tiles(plan, since, until, bounds)


def test_a_kathmandu_workspace_reads_its_own_days_from_daily_rows() -> None:
    since, until = datetime(2026, 10, 1, tzinfo=KATHMANDU), datetime(2026, 10, 8, tzinfo=KATHMANDU)
    bounds, plan = _plan(since, until, "day", KATHMANDU, workspace_tz=KATHMANDU)
    assert plan.read_from == ["daily_rollups"]
    _assert_tiles(plan, since, until, bounds, KATHMANDU)


def test_hour_buckets_read_hourly_rows_and_the_ragged_ends_raw() -> None:
    since, until = datetime(2026, 10, 23, 10, 7, 30, tzinfo=PARIS), datetime(2026, 10, 26, 18, 52, 10, tzinfo=UTC)
    bounds, plan = _plan(since, until, "hour", PARIS)
    assert plan.read_from == ["hourly_rollups", "rollups", "mentions"]
    ends = [(since, datetime(2026, 10, 23, 8, 15, tzinfo=UTC)), (until.replace(minute=45, second=0), until)]
    assert plan.ranges["raw"] == ends
    _assert_tiles(plan, since, until, bounds)


def test_the_dst_day_of_paris_is_one_daily_row() -> None:
    since, until = datetime(2026, 10, 25, tzinfo=PARIS), datetime(2026, 10, 26, tzinfo=PARIS)
    bounds, plan = _plan(since, until, "day", PARIS)
    assert until.astimezone(UTC) - since.astimezone(UTC) == timedelta(hours=25)
    assert plan.ranges["day"] == [(since, until)]


def test_share_of_voice_without_buckets_uses_days_inside_and_hours_at_the_edges() -> None:
    since, until = datetime(2026, 10, 1, 9, 0, tzinfo=UTC), datetime(2026, 10, 20, 14, 30, tzinfo=UTC)
    bounds, plan = _plan(since, until, None, UTC_ZONE)
    assert plan.read_from == ["daily_rollups", "hourly_rollups", "rollups"]
    assert plan.ranges["day"] == [(datetime(2026, 10, 1, 22, tzinfo=UTC), datetime(2026, 10, 19, 22, tzinfo=UTC))]
    _assert_tiles(plan, since, until, bounds)


def test_minute_buckets_read_mentions_only() -> None:
    since = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    bounds, plan = _plan(since, since + timedelta(days=1), "minute", PARIS)
    assert plan.read_from == ["mentions"] and plan.ranges["raw"] == [(since, since + timedelta(days=1))]


@pytest.mark.parametrize("interval", ["hour", "day", None])
def test_purged_periods_never_read_mentions_and_round_their_ragged_ends(interval: str | None) -> None:
    horizon = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # 1 October, midnight in Paris
    since, until = datetime(2026, 9, 20, 10, 7, tzinfo=UTC), datetime(2026, 10, 5, 16, 40, tzinfo=UTC)
    bounds, plan = _plan(since, until, interval, PARIS, purged_before=horizon)
    assert all(a >= horizon for a, _ in plan.ranges["raw"])
    assert plan.rounded and plan.read_from[-1] == "rounded_to_15_minutes"
    pieces = _pieces(plan)
    assert pieces[0][0] == datetime(2026, 9, 20, 10, 0, tzinfo=UTC)  # the quarter holding `since`, counted whole
    assert pieces[-1] == (datetime(2026, 10, 5, 16, 30, tzinfo=UTC), until, "raw")  # after the horizon: exact
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))


def test_an_aligned_range_over_a_purged_period_is_exact() -> None:
    horizon = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    since, until = datetime(2026, 9, 1, tzinfo=PARIS), datetime(2026, 10, 10, tzinfo=PARIS)
    for interval in ("hour", "day"):
        span = until - since if interval == "day" else timedelta(days=30)
        bounds, plan = _plan(since, since + span, interval, PARIS, purged_before=horizon)
        assert not plan.rounded and "mentions" not in plan.read_from
        _assert_tiles(plan, since, since + span, bounds)
