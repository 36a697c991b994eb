"""Report periods and wording, pure: the weekly slot in the workspace's time zone, weeks across a DST change,
the previous period, and numbers, shares and durations written the French or the English way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.reports import words as w
from app.reports.period import PeriodError, check_period, day_of, due_week, last_full_week, previous_period
from app.reports.view import change

PARIS, KOLKATA = ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Kolkata")
NNBSP = "\u202f"


def _local(*args: int, tz: ZoneInfo = PARIS) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def test_the_monday_8_o_clock_report_covers_monday_to_monday_of_the_week_just_ended() -> None:
    week = (_local(2026, 11, 16), _local(2026, 11, 23))
    assert due_week(_local(2026, 11, 23, 8, 0), PARIS, weekday=0, hour=8) == week
    assert due_week(_local(2026, 11, 29, 23, 59), PARIS, weekday=0, hour=8) == week  # all week long, until the next
    before = due_week(_local(2026, 11, 23, 7, 59), PARIS, weekday=0, hour=8)
    assert before == (_local(2026, 11, 9), _local(2026, 11, 16))  # 07:59: still last week's slot
    assert last_full_week(_local(2026, 11, 25, 15, 0), PARIS) == week


def test_the_slot_is_in_the_workspace_s_time_zone_and_may_be_another_day() -> None:
    # Monday 08:00 in Kolkata is Monday 02:30 UTC, long before Monday 08:00 in Paris.
    now = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    assert due_week(now, KOLKATA, weekday=0, hour=8)[1] == _local(2026, 11, 23, tz=KOLKATA)
    assert due_week(now, PARIS, weekday=0, hour=8)[1] == _local(2026, 11, 16)
    friday = due_week(_local(2026, 11, 27, 17, 0), PARIS, weekday=4, hour=17)
    assert friday == (_local(2026, 11, 20), _local(2026, 11, 27))


def test_a_week_across_the_end_of_summer_time_has_169_hours_and_is_compared_monday_to_monday() -> None:
    since, until = last_full_week(_local(2026, 10, 27, 9, 0), PARIS)  # Paris left summer time on Sunday 25th
    assert (since, until) == (_local(2026, 10, 19), _local(2026, 10, 26))
    assert until - since == timedelta(hours=169)
    before = previous_period(since, until, PARIS)
    assert before == (_local(2026, 10, 12), since) and before[1] - before[0] == timedelta(hours=168)
    after = previous_period(_local(2026, 10, 26), _local(2026, 11, 2), PARIS)
    assert after == (since, _local(2026, 10, 26))  # the week before is the DST week, Monday to Monday


def test_a_period_that_is_not_whole_days_is_compared_with_the_same_duration_before() -> None:
    since, until = _local(2026, 11, 17, 9, 30), _local(2026, 11, 17, 18, 0)
    assert previous_period(since, until, PARIS) == (since - (until - since), since)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        (datetime(2026, 11, 16), datetime(2026, 11, 23, tzinfo=UTC), "since: add a time zone"),
        (_local(2026, 11, 23), _local(2026, 11, 16), "until must be after since"),
        (_local(2025, 1, 1), _local(2026, 11, 16), "at most 366 days"),
    ],
)
def test_periods_a_report_refuses(since: datetime, until: datetime, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        check_period(since, until)


def test_a_day_on_the_command_line_is_the_local_midnight() -> None:
    assert day_of("2026-11-16", PARIS) == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert day_of("2026-11-16T08:00", PARIS) == datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
    assert day_of("2026-11-16T08:00:00+00:00", PARIS) == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert day_of(date(2026, 11, 16), KOLKATA) == datetime(2026, 11, 15, 18, 30, tzinfo=UTC)


def test_numbers_shares_and_durations_are_written_the_french_and_the_english_way() -> None:
    assert w.number(1234, "fr") == f"1{NNBSP}234" and w.number(1234, "en") == "1,234"
    assert w.percent(0.125, "fr") == f"12,5{NNBSP}%" and w.percent(0.125, "en") == "12.5%"
    assert w.number(-3.44, "fr", 1) == "\u22123,4" and w.number(-0.04, "en", 1) == "0.0"
    assert w.duration(3900, "fr") == f"1{NNBSP}h{NNBSP}05" and w.duration(3900, "en") == "1h 05m"
    assert w.duration(45, "fr") == f"45{NNBSP}s" and w.duration(2 * 86400 + 7200, "en") == "2d 2h"
    assert w.duration(None, "fr") == "–"
    assert w.period_label(date(2026, 11, 16), date(2026, 11, 22), "fr") == "16–22 novembre 2026"
    assert w.period_label(date(2026, 11, 30), date(2026, 12, 6), "en") == "30 November – 6 December 2026"
    assert w.period_label(date(2026, 12, 28), date(2027, 1, 3), "fr") == "28 décembre 2026 – 3 janvier 2027"
    assert w.plural(0, ("mention", "mentions"), "fr") == "0 mention"
    assert w.plural(0, ("mention", "mentions"), "en") == "0 mentions"


def test_a_change_says_how_much_and_whether_it_is_good_news() -> None:
    more = {"value": 82, "previous": 40, "change": 42, "change_pct": 105.0}
    assert change(more, "count", "fr") == {
        "text": f"+105{NNBSP}%",
        "arrow": "▲",
        "tone": "neutral",
        "before": f"avant{NNBSP}: 40",
    }
    share = {"value": 0.44, "previous": 0.35, "change": 0.09, "change_pct": 25.7}
    assert change(share, "share", "en", "down")["text"] == "+9.0\u00a0pts"
    assert change(share, "share", "en", "down")["tone"] == "bad"
    faster = {"value": 1800.0, "previous": 2700.0, "change": -900.0, "change_pct": -33.3}
    assert change(faster, "duration", "fr", "down") | {"before": ""} == {
        "text": f"\u221215{NNBSP}min",
        "arrow": "▼",
        "tone": "good",
        "before": "",
    }
    assert change({"value": 3, "previous": 0, "change": 3, "change_pct": None}, "count", "en")["text"] == "new"
    assert (
        change({"value": None, "previous": 60.0, "change": None, "change_pct": None}, "duration", "en")["text"] == "–"
    )
