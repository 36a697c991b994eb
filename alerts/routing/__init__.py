"""Routing: which channels hear about which incident, and when.

Pure, like detection: the app hands in an incident's facts, a route, the route's notification log, the
calendar, the silences and `now`; `plan` hands back the notifications to write to the outbox, the new log,
and when to call it again. `alerts.routing.planner` documents the rules.
"""

from alerts.routing.calendar import Calendar
from alerts.routing.facts import STATUSES, IncidentFacts
from alerts.routing.log import EVENTS, Notification, RouteLog
from alerts.routing.planner import Plan, mute_end, plan, silence_end, update_reason
from alerts.routing.routes import (
    ROUTABLE_SEVERITIES,
    WINDOWS,
    EscalationStep,
    Route,
    reached_step,
    route_audience,
    route_matches,
)
from alerts.routing.silences import Silence, active_silences, silence_matches

__all__ = [
    "EVENTS",
    "ROUTABLE_SEVERITIES",
    "STATUSES",
    "WINDOWS",
    "Calendar",
    "EscalationStep",
    "IncidentFacts",
    "Notification",
    "Plan",
    "Route",
    "RouteLog",
    "Silence",
    "active_silences",
    "mute_end",
    "plan",
    "reached_step",
    "route_audience",
    "route_matches",
    "silence_end",
    "silence_matches",
    "update_reason",
]
