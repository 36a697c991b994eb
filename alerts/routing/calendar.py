"""When the office is open: a workspace's time zone, office days and hours, and public holidays.

Office hours of a local date are the UTC interval from `office_start` to `office_end` on that date, each
resolved at its first occurrence (fold=0): 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
A boundary that falls in a spring-forward gap (an office starting at 02:30 on the last Sunday of March) is
read with the offset before the change (03:30 summer time), and one in the repeated hour of October ends at
its first occurrence, so a day's office time is always one interval and never flips three times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONDAY_TO_FRIDAY = frozenset(range(5))


def require_aware(at: datetime, name: str = "at") -> None:
    """Refuse a naive datetime: routing compares instants, and a naive one has no instant."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {at.isoformat()}")


@dataclass(frozen=True, slots=True)
class Calendar:
    """A workspace's office time; everything outside it (nights, weekends, holidays) is on-call time."""

    tz: str
    office_days: frozenset[int] = MONDAY_TO_FRIDAY  # 0 = Monday ... 6 = Sunday
    office_start: time = time(9)
    office_end: time = time(18)
    holidays: frozenset[date] = frozenset()  # local dates

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.tz!r}; use an IANA name such as 'Europe/Paris'") from error
        object.__setattr__(self, "office_days", frozenset(self.office_days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not self.office_days or not self.office_days <= frozenset(range(7)):
            raise ValueError("office_days must be a non-empty set of weekdays, 0 = Monday ... 6 = Sunday")
        if self.office_start.tzinfo or self.office_end.tzinfo:
            raise ValueError("office_start and office_end are local wall-clock times, without a time zone")
        if not self.office_start < self.office_end:
            raise ValueError("office_start must be before office_end (office hours cannot span midnight)")

    def office_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC interval [start, end) of office time on a local date; None on days off and holidays."""
        if day.weekday() not in self.office_days or day in self.holidays:
            return None
        zone = ZoneInfo(self.tz)
        start = datetime.combine(day, self.office_start, zone).astimezone(UTC)
        end = datetime.combine(day, self.office_end, zone).astimezone(UTC)
        # A day whose office time falls wholly in a spring-forward gap has none.
        return (start, end) if start < end else None

    def is_office_hours(self, at: datetime) -> bool:
        """True when `at` falls in office time, judged in the calendar's local time."""
        require_aware(at)
        day = at.astimezone(ZoneInfo(self.tz)).date()
        # The previous day too: an office ending just before midnight can end after it across a DST change.
        for interval in (self.office_interval(day - timedelta(days=1)), self.office_interval(day)):
            if interval is not None and interval[0] <= at < interval[1]:
                return True
        return False

    def next_change(self, at: datetime) -> datetime:
        """The next UTC instant after `at` where office time starts or ends."""
        require_aware(at)
        day = at.astimezone(ZoneInfo(self.tz)).date() - timedelta(days=1)
        # Every week has an office day and each holiday can cancel at most one, so this horizon always finds one.
        for _ in range(7 * (len(self.holidays) + 2)):
            interval = self.office_interval(day)
            if interval is not None:
                for edge in interval:
                    if edge > at:
                        return edge
            day += timedelta(days=1)
        raise RuntimeError("no office day found; office_days validation should make this unreachable")
