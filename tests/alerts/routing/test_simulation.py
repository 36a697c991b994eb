"""Six hours of a Sunday night storm, played the way the app plays it: plan at every change and every wake_at.

The exact sequence of messages is the product's behaviour; playing the same night by calling plan every
minute must send the very same messages, which shows that wake_at never sleeps through something due.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from alerts.routing import IncidentFacts, Silence
from tests.alerts.routing.story import BRAND, OFFICE, ON_CALL, paris, simulate, storm

OPENED = paris(2025, 11, 16, 20)


def at(hour: int, minute: int) -> datetime:
    """A Sunday-night (or early Monday) Paris time."""
    return paris(2025, 11, 16, hour, minute) if hour >= 12 else paris(2025, 11, 17, hour, minute)


def _night() -> list[tuple[datetime, IncidentFacts]]:
    opened = storm(OPENED, peak=55)
    grew = dataclasses.replace
    steps = [(OPENED, opened)]
    steps.append((at(20, 1), grew(steps[-1][1], peak_score=60, changed_at=at(20, 1))))  # +5: not news
    steps.append((at(20, 5), grew(steps[-1][1], peak_score=72, changed_at=at(20, 5))))
    steps.append((at(20, 14), grew(steps[-1][1], severity="critical", peak_score=85, changed_at=at(20, 14))))
    steps.append((at(20, 40), grew(steps[-1][1], snoozed_until=at(21, 30))))  # "rappelle-moi à 21 h 30"
    steps.append((at(21, 45), grew(steps[-1][1], severity="warning")))  # a dip ...
    steps.append((at(22, 0), grew(steps[-1][1], severity="critical", changed_at=at(22, 0))))  # ... is not news
    steps.append((at(22, 50), grew(steps[-1][1], status="acknowledged", acknowledged_at=at(22, 50))))
    steps.append((at(23, 20), grew(steps[-1][1], peak_score=98, changed_at=at(23, 20))))
    steps.append((at(1, 10), grew(steps[-1][1], status="resolved", resolved_at=at(1, 10))))
    return steps


NIGHT = _night()
ALL = ("slack:astreinte", "email:manager", "sms:direction")
EXPECTED_ON_CALL = [
    ("Sun 20:02", "slack:astreinte", "first"),
    ("Sun 20:12", "slack:astreinte", "update"),
    ("Sun 20:17", "email:manager", "escalation"),
    ("Sun 20:22", "slack:astreinte", "severity"),
    ("Sun 20:22", "email:manager", "severity"),
    ("Sun 20:32", "sms:direction", "escalation"),
    *[("Sun 21:30", channel, "reminder") for channel in ALL],  # due 21:22, snoozed until 21:30
    *[("Sun 22:30", channel, "reminder") for channel in ALL],
    *[("Sun 22:50", channel, "acknowledged") for channel in ALL],
    *[("Sun 23:20", channel, "update") for channel in ALL],
    *[("Mon 01:10", channel, "resolved") for channel in ALL],
]


@pytest.mark.parametrize("every", [None, timedelta(minutes=1)], ids=["at-wake_at", "every-minute"])
def test_a_sunday_night_storm_pages_on_call_exactly_as_planned(every: timedelta | None) -> None:
    assert simulate(NIGHT, ON_CALL, until=at(2, 0), every=every) == EXPECTED_ON_CALL


@pytest.mark.parametrize("every", [None, timedelta(minutes=1)], ids=["at-wake_at", "every-minute"])
def test_the_office_route_hears_nothing_of_a_night_storm_resolved_before_monday(every: timedelta | None) -> None:
    assert simulate(NIGHT, OFFICE, until=at(11, 0), every=every) == []


@pytest.mark.parametrize("every", [None, timedelta(minutes=1)], ids=["at-wake_at", "every-minute"])
def test_a_silence_then_the_snooze_hold_the_first_page_until_both_are_over(every: timedelta | None) -> None:
    silence = Silence(brand=BRAND, starts_at=OPENED, ends_at=at(21, 0), comment="on sait", created_by="camille")
    assert simulate(NIGHT, ON_CALL, until=at(2, 0), silences=[silence], every=every) == [
        ("Sun 21:30", "slack:astreinte", "first"),  # silenced until 21:00, snoozed from 20:40 until 21:30
        ("Sun 21:45", "email:manager", "escalation"),  # escalation counts from the first page, not the opening
        ("Sun 22:00", "sms:direction", "escalation"),
        *[("Sun 22:30", channel, "reminder") for channel in ALL],
        *[("Sun 22:50", channel, "acknowledged") for channel in ALL],
        *[("Sun 23:20", channel, "update") for channel in ALL],
        *[("Mon 01:10", channel, "resolved") for channel in ALL],
    ]
