"""Routes say who hears about what; a route that cannot work is refused with a message saying why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.routing import EscalationStep, Route, route_matches
from tests.alerts.routing.story import ALWAYS, BRAND, decide, paris, storm

SUNDAY_NIGHT = paris(2025, 11, 16, 22)


def test_a_route_for_one_brand_and_critical_storms_matches_only_those() -> None:
    route = Route(
        "crise", ("slack:crise",), brands=frozenset({BRAND}), kinds=frozenset({"storm"}), min_severity="critical"
    )
    assert route_matches(route, storm(SUNDAY_NIGHT, severity="critical"))
    assert not route_matches(route, storm(SUNDAY_NIGHT, severity="warning"))
    assert not route_matches(route, storm(SUNDAY_NIGHT, severity="critical", brand="Camping des Pins"))
    assert not route_matches(route, storm(SUNDAY_NIGHT, severity="critical", kind="high_risk_mention"))
    assert not route_matches(route, storm(SUNDAY_NIGHT, severity="critical", brand=None))


def test_an_empty_matcher_matches_every_brand_and_kind() -> None:
    assert route_matches(ALWAYS, storm(SUNDAY_NIGHT, brand="Camping des Pins", kind="silence"))


def test_info_incidents_are_never_routed_they_only_reach_the_feed_and_the_digest() -> None:
    info = storm(SUNDAY_NIGHT, severity="info", peak=30)
    assert not route_matches(ALWAYS, info)
    for minutes in (2, 10, 60, 600):
        result = decide(info, ALWAYS, None, SUNDAY_NIGHT + timedelta(minutes=minutes))
        assert (result.notifications, result.wake_at) == ((), None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_severity": "info"}, "info incidents only go to the alert feed and the digest"),
        ({"min_severity": "urgent"}, "min_severity must be 'warning' or 'critical'"),
        ({"channels": ()}, "needs at least one channel"),
        ({"channels": ("slack:cm", "slack:cm")}, "listed twice"),
        ({"when": "weekends"}, "when must be one of always, office_hours, on_call"),
        ({"kinds": frozenset({"tempête"})}, "unknown incident kinds"),
        ({"group_interval": timedelta(minutes=-1)}, "group_interval cannot be negative"),
        (
            {
                "escalation": (
                    EscalationStep(timedelta(minutes=30), ("sms:direction",)),
                    EscalationStep(timedelta(minutes=15), ("email:manager",)),
                )
            },
            "strictly increasing",
        ),
    ],
)
def test_a_route_that_cannot_work_is_refused_clearly(kwargs: dict, message: str) -> None:
    values = {"name": "astreinte", "channels": ("slack:cm",)} | kwargs
    with pytest.raises(ValueError, match=message):
        Route(**values)


def test_an_escalation_step_needs_a_delay_and_someone_to_call() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        EscalationStep(timedelta(0), ("email:manager",))
    with pytest.raises(ValueError, match="at least one channel"):
        EscalationStep(timedelta(minutes=15), ())


def test_lists_from_a_config_file_become_immutable() -> None:
    route = Route("astreinte", ["slack:cm"], brands=[BRAND])  # type: ignore[arg-type]
    assert route.channels == ("slack:cm",) and route.brands == frozenset({BRAND})
    assert hash(route) == hash(Route("astreinte", ("slack:cm",), brands=frozenset({BRAND})))
