"""Report periods, pure: the last full local week, the weekly slot at which a scheduled report is due, and the
previous period of the same length to compare with. Local midnights are UTC instants (a DST week is 167 or 169
hours long), read as app.stats reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_DAYS = 366  # an on-demand report covers at most a year (its daily chart has one point per day)


class PeriodError(ValueError):
    """A period a report refuses, with a message for the user."""


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant local `day` starts in `tz` (as app.stats buckets days: a midnight skipped by a DST change
    is read with the old offset)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def due_week(now: datetime, tz: ZoneInfo, *, weekday: int, hour: int) -> tuple[datetime, datetime]:
    """The seven local days whose scheduled report is due at `now`: they end at the local midnight starting the
    latest slot day (`weekday`, 0 = Monday) whose `hour` has come. With Monday 08:00, from Monday 08:00 on it is
    the week just ended, Monday 00:00 to Monday 00:00."""
    local = now.astimezone(tz)
    back = (local.weekday() - weekday) % 7
    if back == 0 and local.hour < hour:
        back = 7
    end_day = local.date() - timedelta(days=back)
    return local_midnight(end_day - timedelta(days=7), tz), local_midnight(end_day, tz)


def last_full_week(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to Monday 00:00 (local) of the last week that has ended at `now`."""
    return due_week(now, tz, weekday=0, hour=0)


def previous_period(since: datetime, until: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period of the same length just before: the same number of local days when both ends are local
    midnights (a week before a DST change is still Monday to Monday), else the same duration."""
    first, last = since.astimezone(tz), until.astimezone(tz)
    if local_midnight(first.date(), tz) == since and local_midnight(last.date(), tz) == until:
        days = (last.date() - first.date()).days
        return local_midnight(first.date() - timedelta(days=days), tz), since
    return since - (until - since), since


def check_period(since: datetime, until: datetime) -> None:
    """Refuse naive datetimes, empty periods and periods over a year."""
    for name, value in (("since", since), ("until", until)):
        if value.tzinfo is None:
            raise PeriodError(f"{name}: add a time zone, e.g. 2026-11-16T00:00:00+01:00 or Z")
    if until <= since:
        raise PeriodError("until must be after since")
    if until - since > timedelta(days=MAX_DAYS):
        raise PeriodError(f"a report covers at most {MAX_DAYS} days; shorten the period")


def day_of(value: str | date | datetime, tz: ZoneInfo) -> datetime:
    """A day given on the command line or in a request ('2026-11-16', or a datetime) as the UTC instant it
    starts: a date is the local midnight, a datetime without a zone is local time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    return local_midnight(value, tz)


def is_week(since: datetime, until: datetime, tz: ZoneInfo) -> bool:
    """True for seven whole local days (the weekly report's wording)."""
    first, last = since.astimezone(tz), until.astimezone(tz)
    return (
        local_midnight(first.date(), tz) == since
        and local_midnight(last.date(), tz) == until
        and (last.date() - first.date()).days == 7
    )
