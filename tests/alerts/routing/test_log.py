"""The app stores a route's notification log as JSON and reads it back unchanged."""

from __future__ import annotations

import json
from datetime import timedelta

from alerts.routing import RouteLog
from tests.alerts.routing.story import ON_CALL, decide, paris, storm

OPENED = paris(2025, 11, 16, 22)


def test_a_log_survives_a_json_round_trip() -> None:
    incident = storm(OPENED)
    log = decide(incident, ON_CALL, None, OPENED + timedelta(minutes=2)).log
    log = decide(incident, ON_CALL, log, OPENED + timedelta(minutes=17)).log
    stored = json.loads(json.dumps(log.to_dict()))
    assert RouteLog.from_dict(stored) == log
    assert stored["notified_channels"] == ["slack:astreinte", "email:manager"]
    assert stored["first_sent_at"] == "2025-11-16T21:02:00+00:00"


def test_the_empty_log_round_trips_and_an_older_log_missing_keys_still_loads() -> None:
    assert RouteLog.from_dict(json.loads(json.dumps(RouteLog().to_dict()))) == RouteLog()
    assert RouteLog.from_dict({"reminders": 2}) == RouteLog(reminders=2)
