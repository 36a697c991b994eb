"""Retention policy, pure: how long a workspace keeps its mentions, the shortest period crisis detection allows, and
the horizon before which the purge deletes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.detection.config import DetectionConfig
from app.storage.rollup_levels import floor_to, local_day

DEFAULT_HISTORY_DAYS = DetectionConfig().history_days
# Beyond detection's own history: the hour-of-week baseline widens past incident periods and reads whole local days,
# backtests and the weekly report look a week back, and a restart must not find its history already half purged.
MARGIN_DAYS = 7
QUARTER = timedelta(minutes=15)


class RetentionError(ValueError):
    """A retention period that cannot be used, with a message for the user."""


def history_days_of(detection_overrides: Iterable[dict[str, Any] | None]) -> list[int]:
    """The `history_days` of each brand that overrides it (brands' `detection` settings)."""
    return [int(d["history_days"]) for d in detection_overrides if d and "history_days" in d]


def minimum_days(history_days: Iterable[int] = ()) -> int:
    """The shortest retention detection allows: its longest history window plus a margin."""
    return max([DEFAULT_HISTORY_DAYS, *history_days]) + MARGIN_DAYS


def check_retention(days: int | None, *, history_days: Iterable[int] = ()) -> int | None:
    """`days` when it is a usable retention (None: the instance default; 0: keep forever), else RetentionError."""
    if days is None or days == 0:
        return days
    history = max([DEFAULT_HISTORY_DAYS, *history_days])
    minimum = history + MARGIN_DAYS
    if days < 0 or days < minimum:
        raise RetentionError(
            f"{days} days is too short: keep mentions at least {minimum} days, or 0 to keep them forever. Crisis "
            f"detection computes each brand's baseline from the raw mentions of its last {history} days "
            f"(history_days), and a {MARGIN_DAYS}-day margin keeps that history whole; a shorter retention would "
            "purge what the baselines are made of"
        )
    return days


def effective_days(workspace_days: int | None, default_days: int, *, history_days: Iterable[int] = ()) -> int | None:
    """The days a workspace keeps its mentions (None: forever): its own period or the instance default, never below
    what its brands' detection reads (a brand may raise its `history_days` after the period was set)."""
    days = default_days if workspace_days is None else workspace_days
    if days == 0:
        return None
    return max(days, minimum_days(history_days))


def purge_horizon(now: datetime, days: int, tz: ZoneInfo) -> datetime:
    """Mentions published before this instant are past retention: the local midnight starting the day `days` days
    ago, so that whole local days are purged and a day's statistics are never half rollups, half mentions."""
    return floor_to(local_day(now - timedelta(days=days), tz)[0], QUARTER)
