"""Office hours in Paris: weekdays 9:00-18:00, weekends and public holidays off, right across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from alerts.routing import Calendar
from tests.alerts.routing.story import CALENDAR, paris


def test_a_tuesday_morning_is_office_time_and_the_evening_is_not() -> None:
    assert CALENDAR.is_office_hours(paris(2025, 11, 18, 9))
    assert CALENDAR.is_office_hours(paris(2025, 11, 18, 17, 59))
    assert not CALENDAR.is_office_hours(paris(2025, 11, 18, 18))
    assert not CALENDAR.is_office_hours(paris(2025, 11, 18, 8, 59))


def test_a_weekend_is_on_call_time_and_the_office_reopens_on_monday_morning() -> None:
    assert not CALENDAR.is_office_hours(paris(2025, 11, 16, 11))
    assert CALENDAR.next_change(paris(2025, 11, 14, 18)) == paris(2025, 11, 17, 9)
    assert CALENDAR.next_change(paris(2025, 11, 17, 9)) == paris(2025, 11, 17, 18)


def test_easter_monday_is_a_holiday_so_the_office_reopens_on_tuesday() -> None:
    assert not CALENDAR.is_office_hours(paris(2025, 4, 21, 10))
    assert CALENDAR.next_change(paris(2025, 4, 18, 19)) == paris(2025, 4, 22, 9)


def test_the_week_of_ascension_skips_thursday_only() -> None:
    assert CALENDAR.next_change(paris(2025, 5, 28, 18)) == paris(2025, 5, 30, 9)


def test_monday_after_the_spring_dst_change_opens_at_nine_summer_time() -> None:
    # Sunday 30 March 2025, 02:00 CET became 03:00 CEST: Friday 9:00 was 08:00 UTC, Monday 9:00 is 07:00 UTC.
    assert paris(2025, 3, 28, 9) == datetime(2025, 3, 28, 8, tzinfo=UTC)
    monday = datetime(2025, 3, 31, 7, tzinfo=UTC)
    assert CALENDAR.next_change(paris(2025, 3, 28, 18, 30)) == monday
    assert CALENDAR.is_office_hours(monday)
    assert not CALENDAR.is_office_hours(datetime(2025, 3, 31, 6, 59, tzinfo=UTC))
    assert CALENDAR.next_change(monday) == datetime(2025, 3, 31, 16, tzinfo=UTC)


def test_monday_after_the_autumn_dst_change_opens_at_nine_winter_time() -> None:
    # Sunday 26 October 2025, 03:00 CEST became 02:00 CET: Monday 9:00 is 08:00 UTC.
    monday = datetime(2025, 10, 27, 8, tzinfo=UTC)
    assert CALENDAR.next_change(paris(2025, 10, 24, 20)) == monday
    assert not CALENDAR.is_office_hours(datetime(2025, 10, 27, 7, 30, tzinfo=UTC))
    assert CALENDAR.is_office_hours(monday)


def test_a_boundary_in_the_spring_gap_is_read_with_the_winter_offset() -> None:
    night_desk = Calendar("Europe/Paris", office_days=frozenset({6}), office_start=time(1), office_end=time(2, 30))
    # 02:30 does not exist on 30 March 2025: the desk closes at 02:30 CET = 01:30 UTC = 03:30 CEST.
    assert night_desk.office_interval(date(2025, 3, 30)) == (
        datetime(2025, 3, 30, 0, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
    )
    assert night_desk.is_office_hours(datetime(2025, 3, 30, 1, 15, tzinfo=UTC))
    assert night_desk.next_change(datetime(2025, 3, 30, 0, 30, tzinfo=UTC)) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)


def test_a_boundary_in_the_repeated_autumn_hour_is_its_first_occurrence() -> None:
    night_desk = Calendar("Europe/Paris", office_days=frozenset({6}), office_start=time(1), office_end=time(2, 30))
    # 02:30 happens twice on 26 October 2025; the desk closes at the first (00:30 UTC) and does not reopen.
    assert night_desk.is_office_hours(datetime(2025, 10, 26, 0, 15, tzinfo=UTC))
    assert not night_desk.is_office_hours(datetime(2025, 10, 26, 1, 15, tzinfo=UTC))  # 02:15 CET, second pass
    assert night_desk.next_change(datetime(2025, 10, 26, 0, 15, tzinfo=UTC)) == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )


def test_next_change_finds_the_office_behind_many_holidays() -> None:
    mondays_only = Calendar("Europe/Paris", office_days=frozenset({0}), holidays=frozenset({date(2025, 4, 21)}))
    assert mondays_only.next_change(paris(2025, 4, 15, 12)) == paris(2025, 4, 28, 9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Europe/Pariss"}, "unknown time zone"),
        ({"tz": "Europe/Paris", "office_days": frozenset()}, "office_days"),
        ({"tz": "Europe/Paris", "office_days": frozenset({7})}, "office_days"),
        ({"tz": "Europe/Paris", "office_start": time(18), "office_end": time(9)}, "before office_end"),
    ],
)
def test_a_calendar_that_makes_no_sense_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar(**kwargs)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.is_office_hours(datetime(2025, 11, 18, 10))
