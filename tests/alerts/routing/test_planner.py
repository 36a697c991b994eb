"""Who is told what, and when: user stories of a Paris hotel chain's storms, with real local times."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from alerts.routing import EscalationStep, Route, RouteLog, Silence
from tests.alerts.routing.story import ALWAYS, BRAND, OFFICE, ON_CALL, decide, paris, sent, storm

MINUTES = timedelta(minutes=1)
SUNDAY_22 = paris(2025, 11, 16, 22)


def test_a_sunday_night_storm_pages_on_call_after_group_wait_and_the_office_on_monday_morning() -> None:
    incident = storm(SUNDAY_22)
    early = decide(incident, ON_CALL, None, SUNDAY_22)
    assert (sent(early), early.wake_at) == ([], SUNDAY_22 + 2 * MINUTES)
    paged = decide(incident, ON_CALL, early.log, SUNDAY_22 + 2 * MINUTES)
    assert sent(paged) == [("slack:astreinte", "first")]
    assert paged.notifications[0].event == "incident.opened"
    assert paged.wake_at == SUNDAY_22 + 17 * MINUTES  # the manager's escalation step

    office = decide(incident, OFFICE, None, SUNDAY_22 + 2 * MINUTES)
    assert (sent(office), office.wake_at) == ([], paris(2025, 11, 17, 9))
    monday = decide(incident, OFFICE, office.log, paris(2025, 11, 17, 9))
    assert sent(monday) == [("slack:community", "first")]


def test_a_storm_acknowledged_at_night_never_reaches_the_office_route() -> None:
    acknowledged = storm(SUNDAY_22, status="acknowledged", acknowledged_at=SUNDAY_22 + 10 * MINUTES)
    monday = decide(acknowledged, OFFICE, None, paris(2025, 11, 17, 9))
    assert (sent(monday), monday.wake_at) == ([], None)


def test_easter_monday_is_on_call_time_and_the_office_hears_on_tuesday() -> None:
    incident = storm(paris(2025, 4, 20, 22))
    office = decide(incident, OFFICE, None, paris(2025, 4, 20, 22, 2))
    assert office.wake_at == paris(2025, 4, 22, 9)
    holiday_storm = storm(paris(2025, 4, 21, 10))
    assert sent(decide(holiday_storm, ON_CALL, None, paris(2025, 4, 21, 10, 2))) == [("slack:astreinte", "first")]


def test_a_storm_over_the_spring_dst_night_wakes_the_office_at_nine_summer_time() -> None:
    incident = storm(paris(2025, 3, 30, 1, 30))  # 01:30 CET, half an hour before the clocks jump
    office = decide(incident, OFFICE, None, paris(2025, 3, 30, 1, 32))
    assert office.wake_at == paris(2025, 3, 31, 9) == paris(2025, 3, 30, 1, 32) + timedelta(hours=30, minutes=28)


def test_a_storm_turning_critical_sends_severity_once_not_at_every_evaluation() -> None:
    log = decide(storm(SUNDAY_22), ALWAYS, None, SUNDAY_22 + 2 * MINUTES).log
    critical = storm(SUNDAY_22, severity="critical", peak=78, changed_at=SUNDAY_22 + 20 * MINUTES)
    reasons = []
    for minute in range(20, 50, 5):  # detection re-evaluates every five minutes
        result = decide(critical, ALWAYS, log, SUNDAY_22 + minute * MINUTES)
        reasons += [(n.reason, n.event) for n in result.notifications]
        log = result.log
    assert reasons == [("severity", "incident.escalated")]


def test_updates_wait_for_group_interval_and_small_growth_is_not_news() -> None:
    log = decide(storm(SUNDAY_22), ALWAYS, None, SUNDAY_22 + 2 * MINUTES).log
    grown = storm(SUNDAY_22, peak=66, changed_at=SUNDAY_22 + 4 * MINUTES)
    throttled = decide(grown, ALWAYS, log, SUNDAY_22 + 4 * MINUTES)
    assert (sent(throttled), throttled.wake_at) == ([], SUNDAY_22 + 12 * MINUTES)
    assert sent(decide(grown, ALWAYS, throttled.log, SUNDAY_22 + 12 * MINUTES)) == [("webhook:crm", "update")]

    barely = storm(SUNDAY_22, peak=64, changed_at=SUNDAY_22 + 4 * MINUTES)  # +9 points since the first message
    quiet = decide(barely, ALWAYS, log, SUNDAY_22 + 30 * MINUTES)
    assert (sent(quiet), quiet.wake_at) == ([], SUNDAY_22 + 62 * MINUTES)  # only the hourly reminder is pending


def test_reminders_come_every_hour_until_the_storm_is_acknowledged_then_stop() -> None:
    route = Route("crm", ("webhook:crm",))
    incident = storm(SUNDAY_22)
    log, sends, now = None, [], SUNDAY_22
    while now < SUNDAY_22 + timedelta(hours=3, minutes=30):
        result = decide(incident, route, log, now)
        sends += [(now - SUNDAY_22, n.reason) for n in result.notifications]
        log, now = result.log, result.wake_at
    hour = timedelta(hours=1)
    assert sends == [
        (2 * MINUTES, "first"),
        (hour + 2 * MINUTES, "reminder"),
        (2 * hour + 2 * MINUTES, "reminder"),
        (3 * hour + 2 * MINUTES, "reminder"),
    ]
    assert log.reminders == 3
    acknowledged = dataclasses.replace(incident, status="acknowledged", acknowledged_at=now)
    result = decide(acknowledged, route, log, now)
    assert (sent(result), result.wake_at) == ([("webhook:crm", "acknowledged")], None)
    assert sent(decide(acknowledged, route, result.log, now + 5 * hour)) == []


def test_escalation_reaches_the_manager_at_15_minutes_and_the_direction_at_30() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES).log
    manager = decide(incident, ON_CALL, log, SUNDAY_22 + 17 * MINUTES)
    assert sent(manager) == [("email:manager", "escalation")]
    assert [n.escalation_step for n in manager.notifications] == [1]
    assert manager.wake_at == SUNDAY_22 + 32 * MINUTES
    direction = decide(incident, ON_CALL, manager.log, SUNDAY_22 + 32 * MINUTES)
    assert sent(direction) == [("sms:direction", "escalation")]
    assert direction.notifications[0].event == "incident.escalated"
    assert direction.wake_at == SUNDAY_22 + 62 * MINUTES  # an escalation does not restart the reminder clock


def test_acknowledging_stops_escalation_and_tells_everyone_paged_including_the_manager() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES).log
    log = decide(incident, ON_CALL, log, SUNDAY_22 + 17 * MINUTES).log
    acknowledged = dataclasses.replace(incident, status="acknowledged", acknowledged_at=SUNDAY_22 + 20 * MINUTES)
    result = decide(acknowledged, ON_CALL, log, SUNDAY_22 + 20 * MINUTES)
    assert sent(result) == [("slack:astreinte", "acknowledged"), ("email:manager", "acknowledged")]
    assert result.notifications[0].event == "incident.acknowledged"
    assert result.wake_at is None
    assert sent(decide(acknowledged, ON_CALL, result.log, SUNDAY_22 + 40 * MINUTES)) == []


def test_a_resolved_storm_is_announced_once_to_everyone_told() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES).log
    log = decide(incident, ON_CALL, log, SUNDAY_22 + 17 * MINUTES).log
    resolved = dataclasses.replace(incident, status="resolved", resolved_at=SUNDAY_22 + 25 * MINUTES)
    result = decide(resolved, ON_CALL, log, SUNDAY_22 + 25 * MINUTES)
    assert sent(result) == [("slack:astreinte", "resolved"), ("email:manager", "resolved")]
    assert (result.notifications[0].event, result.wake_at) == ("incident.resolved", None)
    assert sent(decide(resolved, ON_CALL, result.log, SUNDAY_22 + 90 * MINUTES)) == []


def test_a_storm_resolved_within_group_wait_never_pages_anyone() -> None:
    resolved = storm(SUNDAY_22, status="resolved", resolved_at=SUNDAY_22 + MINUTES)
    for route in (ON_CALL, OFFICE, ALWAYS):
        for later in (MINUTES, 2 * MINUTES, timedelta(days=1)):
            result = decide(resolved, route, None, SUNDAY_22 + later)
            assert (sent(result), result.wake_at) == ([], None)


def test_a_brand_silence_mutes_the_storm_and_its_expiry_resumes_paging() -> None:
    silence = Silence(
        brand=BRAND,
        starts_at=SUNDAY_22 - 5 * MINUTES,
        ends_at=SUNDAY_22 + timedelta(hours=1),
        comment="match au stade, on sait",
        created_by="camille",
    )
    incident = storm(SUNDAY_22)
    muted = decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES, [silence])
    assert (sent(muted), muted.wake_at) == ([], silence.ends_at)
    resumed = decide(incident, ON_CALL, muted.log, silence.ends_at, [silence])
    assert sent(resumed) == [("slack:astreinte", "first")]
    other_brand = dataclasses.replace(silence, brand="Camping des Pins")
    assert sent(decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES, [other_brand])) == [
        ("slack:astreinte", "first")
    ]


def test_escalation_overdue_after_a_silence_jumps_to_the_highest_step_in_one_message() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES).log
    silence = Silence(brand=BRAND, starts_at=SUNDAY_22 + 5 * MINUTES, ends_at=SUNDAY_22 + 60 * MINUTES)
    muted = decide(incident, ON_CALL, log, SUNDAY_22 + 17 * MINUTES, [silence])
    assert (sent(muted), muted.wake_at) == ([], SUNDAY_22 + 60 * MINUTES)
    jumped = decide(incident, ON_CALL, muted.log, SUNDAY_22 + 60 * MINUTES, [silence])
    assert sent(jumped) == [("email:manager", "escalation"), ("sms:direction", "escalation")]
    assert {n.escalation_step for n in jumped.notifications} == {2} and jumped.log.escalation_step == 2
    reminder = decide(incident, ON_CALL, jumped.log, SUNDAY_22 + 62 * MINUTES, [silence])
    assert [c for c, r in sent(reminder) if r == "reminder"] == ["slack:astreinte", "email:manager", "sms:direction"]


def test_a_resolution_during_a_silence_is_held_until_the_silence_ends() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ALWAYS, None, SUNDAY_22 + 2 * MINUTES).log
    silence = Silence(brand=BRAND, starts_at=SUNDAY_22 + 5 * MINUTES, ends_at=SUNDAY_22 + 60 * MINUTES)
    resolved = dataclasses.replace(incident, status="resolved", resolved_at=SUNDAY_22 + 30 * MINUTES)
    held = decide(resolved, ALWAYS, log, SUNDAY_22 + 30 * MINUTES, [silence])
    assert (sent(held), held.wake_at) == ([], silence.ends_at)
    assert sent(decide(resolved, ALWAYS, held.log, silence.ends_at, [silence])) == [("webhook:crm", "resolved")]


def test_closing_messages_reach_the_paged_even_outside_the_route_window_or_during_a_snooze() -> None:
    monday_storm = storm(paris(2025, 11, 17, 17, 40))
    log = decide(monday_storm, OFFICE, None, paris(2025, 11, 17, 17, 42)).log
    snoozed = dataclasses.replace(monday_storm, status="acknowledged", snoozed_until=paris(2025, 11, 18, 9))
    evening = decide(snoozed, OFFICE, log, paris(2025, 11, 17, 19))
    assert sent(evening) == [("slack:community", "acknowledged")]
    resolved = dataclasses.replace(monday_storm, status="resolved")
    assert sent(decide(resolved, OFFICE, evening.log, paris(2025, 11, 17, 23))) == [("slack:community", "resolved")]


def test_a_snoozed_storm_pages_nobody_until_the_snooze_ends() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ALWAYS, None, SUNDAY_22 + 2 * MINUTES).log
    snoozed = dataclasses.replace(incident, snoozed_until=SUNDAY_22 + timedelta(hours=2))
    muted = decide(snoozed, ALWAYS, log, SUNDAY_22 + 62 * MINUTES)
    assert (sent(muted), muted.wake_at) == ([], SUNDAY_22 + timedelta(hours=2))
    assert sent(decide(snoozed, ALWAYS, log, muted.wake_at)) == [("webhook:crm", "reminder")]


def test_the_paged_hear_the_end_even_when_the_storm_fell_below_the_route_severity() -> None:
    critical_only = Route("crise", ("sms:direction",), min_severity="critical")
    incident = storm(SUNDAY_22, severity="critical", peak=80)
    log = decide(incident, critical_only, None, SUNDAY_22 + 2 * MINUTES).log
    calmer = dataclasses.replace(incident, severity="warning", score=50)
    quiet = decide(calmer, critical_only, log, SUNDAY_22 + 3 * timedelta(hours=1))
    assert (sent(quiet), quiet.wake_at) == ([], None)  # no reminders about a storm below the route's bar
    resolved = dataclasses.replace(calmer, status="resolved")
    assert sent(decide(resolved, critical_only, log, SUNDAY_22 + 4 * timedelta(hours=1))) == [
        ("sms:direction", "resolved")
    ]


def test_a_route_that_starts_matching_when_the_storm_turns_critical_pages_at_once() -> None:
    critical_only = Route("crise", ("sms:direction",), min_severity="critical")
    warning = decide(storm(SUNDAY_22), critical_only, None, SUNDAY_22 + 2 * MINUTES)
    assert (sent(warning), warning.wake_at) == ([], None)
    critical = storm(SUNDAY_22, severity="critical", peak=80, changed_at=SUNDAY_22 + 30 * MINUTES)
    assert sent(decide(critical, critical_only, warning.log, SUNDAY_22 + 30 * MINUTES)) == [("sms:direction", "first")]


def test_a_channel_on_the_route_and_in_an_escalation_step_gets_one_message() -> None:
    route = Route("cm", ("slack:cm",), escalation=(EscalationStep(15 * MINUTES, ("slack:cm", "email:manager")),))
    incident = storm(SUNDAY_22)
    log = decide(incident, route, None, SUNDAY_22 + 2 * MINUTES).log
    grown = storm(SUNDAY_22, severity="critical", peak=80, changed_at=SUNDAY_22 + 16 * MINUTES)
    both = decide(grown, route, log, SUNDAY_22 + 17 * MINUTES)
    assert sent(both) == [("slack:cm", "escalation"), ("email:manager", "escalation")]
    assert both.log.sent_severity == "critical"  # the escalation message carried the rise: no second message
    assert sent(decide(grown, route, both.log, SUNDAY_22 + 30 * MINUTES)) == []


def test_an_acknowledged_storm_that_keeps_growing_still_updates_those_handling_it() -> None:
    incident = storm(SUNDAY_22)
    log = decide(incident, ALWAYS, None, SUNDAY_22 + 2 * MINUTES).log
    acknowledged = dataclasses.replace(incident, status="acknowledged")
    log = decide(acknowledged, ALWAYS, log, SUNDAY_22 + 5 * MINUTES).log
    worse = dataclasses.replace(acknowledged, severity="critical", peak_score=90, changed_at=SUNDAY_22 + 6 * MINUTES)
    throttled = decide(worse, ALWAYS, log, SUNDAY_22 + 6 * MINUTES)
    assert (sent(throttled), throttled.wake_at) == ([], SUNDAY_22 + 15 * MINUTES)
    assert sent(decide(worse, ALWAYS, log, SUNDAY_22 + 15 * MINUTES)) == [("webhook:crm", "severity")]


def test_an_empty_log_and_none_mean_the_same() -> None:
    incident = storm(SUNDAY_22)
    assert decide(incident, ON_CALL, None, SUNDAY_22 + 2 * MINUTES) == decide(
        incident, ON_CALL, RouteLog(), SUNDAY_22 + 2 * MINUTES
    )
