"""The route stage: after every incident change, and when a route's timer is up, decide who hears what.

The decisions are alerts.routing's (`plan`, pure); this module loads the routes, silences, office hours and
each route's notification log, and writes the notifications to the outbox (deliveries) in the caller's
transaction, so that an incident change and the messages it causes are committed together.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from alerts.delivery.message import IncidentMessage
from alerts.routing import IncidentFacts, RouteLog, plan, route_matches
from app.alerting import AlertingSpec, route_spec_of, silence_of
from app.db import writing
from app.db.schema import utcnow
from app.messages import incident_message, message_to_dict, new_message_id
from app.settings import Settings
from app.storage import delivery as store
from app.storage.brands import brand_name
from app.storage.incidents import get_incident, list_events, live_incident_ids, lock_incident_for_routing
from app.storage.workspaces import get_workspace_by_id

log = logging.getLogger(__name__)
_CHANGES = ("opened", "reopened", "updated", "escalated")


def incident_facts(conn: sa.Connection, incident: dict[str, Any], brand: str | None) -> IncidentFacts:
    """What routing needs of an incident; `changed_at` is its latest growth (or its opening)."""
    changes = [e["at"] for e in list_events(conn, incident_id=incident["id"]) if e["type"] in _CHANGES]
    return IncidentFacts(
        id=incident["id"],
        brand=brand,
        kind=incident["kind"],
        severity=incident["severity"],
        status=incident["status"],
        score=incident["score"],
        peak_score=incident["peak_score"],
        opened_at=incident["opened_at"],
        changed_at=max(changes, default=incident["opened_at"]),
        acknowledged_at=incident["acknowledged_at"],
        resolved_at=incident["resolved_at"],
        snoozed_until=incident["snoozed_until"],
    )


def route_incident(
    conn: sa.Connection, *, workspace: dict[str, Any], incident: dict[str, Any], settings: Settings, now: datetime
) -> int:
    """Plan every enabled route for the incident and write what is due to the outbox; returns how many
    deliveries were written."""
    routes = [r for r in store.list_routes(conn, workspace_id=workspace["id"]) if r["enabled"]]
    if not routes:
        return 0
    brand = brand_name(conn, workspace_id=workspace["id"], brand_id=incident["brand_id"])
    facts = incident_facts(conn, incident, brand)
    calendar = AlertingSpec(**(workspace.get("alerting") or {})).calendar(workspace["timezone"])
    silences = [silence_of(s) for s in store.list_silences(conn, workspace_id=workspace["id"], active_at=now)]
    logs = store.route_logs_of(conn, incident_id=incident["id"])
    channels = {c["name"]: c for c in store.list_channels(conn, workspace_id=workspace["id"])}
    messages: dict[tuple, IncidentMessage] = {}
    sent: set[tuple] = set()  # a channel on two routes hears each piece of news once
    written = 0
    for row in routes:
        route = route_spec_of(row).to_route()
        stored = logs.get(row["id"])
        before = RouteLog.from_dict(stored["log"]) if stored else None
        if before is None and not route_matches(route, facts):
            continue  # never concerned this route: nothing to remember
        result = plan(facts, route, before, now=now, calendar=calendar, silences=silences)
        for note in result.notifications:
            channel = channels.get(note.channel)
            if channel is None or not channel["enabled"]:
                log.warning("route names a missing or disabled channel", extra={"route": route.name})
                continue
            key = (note.event, note.reason, note.escalation_step)
            if (channel["id"], note.event, note.reason) in sent:
                continue
            sent.add((channel["id"], note.event, note.reason))
            if key not in messages:
                messages[key] = incident_message(
                    conn,
                    workspace=workspace,
                    incident=incident,
                    event=note.event,
                    reason=note.reason,
                    escalation_step=note.escalation_step,
                    settings=settings,
                    now=now,
                )
            message = dataclasses.replace(messages[key], message_id=new_message_id())
            _enqueue(conn, workspace, incident, channel, row["id"], message, now)
            written += 1
        store.save_route_log(
            conn, incident_id=incident["id"], route_id=row["id"], log=result.log.to_dict(), wake_at=result.wake_at
        )
    return written


def _enqueue(
    conn: sa.Connection,
    workspace: dict[str, Any],
    incident: dict[str, Any],
    channel: dict[str, Any],
    route_id: int | None,
    message: IncidentMessage,
    now: datetime,
) -> None:
    values = {
        "workspace_id": workspace["id"],
        "incident_id": incident["id"],
        "channel_id": channel["id"],
        "route_id": route_id,
        "message_id": message.message_id,
        "event": message.event,
        "reason": message.reason,
        "due_at": now,
        "payload": message_to_dict(message),
    }
    delivery_id = store.add_delivery(conn, values=values)
    log.info(
        "delivery queued",
        extra={"incident_id": incident["id"], "delivery_id": delivery_id, "channel": channel["name"]},
    )


def route_change(conn: sa.Connection, *, incident: dict[str, Any], settings: Settings, now: datetime) -> int:
    """Route an incident a person just changed (acknowledged, resolved, snoozed)."""
    return _route_one(
        conn, workspace_id=incident["workspace_id"], incident_id=incident["id"], settings=settings, now=now
    )


def route_due(conn: sa.Connection, *, settings: Settings, now: datetime) -> int:
    """Re-plan every incident whose route timer is up (group wait, reminder, escalation, end of a mute)."""
    # Every alert worker wakes the same due timers: skip an incident another transaction holds (it is being
    # routed or changed, which routes it); its timer stays due until someone has planned it.
    return sum(
        _route_one(conn, workspace_id=w, incident_id=i, settings=settings, now=now, skip_locked=True)
        for w, i in store.incidents_to_wake(conn, now=now)
    )


def _route_one(
    conn: sa.Connection,
    *,
    workspace_id: int,
    incident_id: int,
    settings: Settings,
    now: datetime,
    skip_locked: bool = False,
) -> int:
    # The lock comes first, so that the notification log read next is the one the previous planner committed.
    if not lock_incident_for_routing(conn, incident_id=incident_id, skip_locked=skip_locked):
        return 0
    workspace = get_workspace_by_id(conn, workspace_id=workspace_id)
    incident = get_incident(conn, workspace_id=workspace_id, incident_id=incident_id)
    if workspace is None or incident is None:
        return 0
    return route_incident(conn, workspace=workspace, incident=incident, settings=settings, now=now)


def reroute_workspace(conn: sa.Connection, *, workspace_id: int, now: datetime, settings: Settings) -> int:
    """Re-plan the workspace's live incidents now (routes, silences or office hours changed)."""
    return sum(
        _route_one(conn, workspace_id=workspace_id, incident_id=i, settings=settings, now=now)
        for i in live_incident_ids(conn, workspace_id=workspace_id)
    )


class RouteWorker:
    """The alert role's clock job for route timers: one transaction per tick."""

    def __init__(self, engine: sa.Engine, settings: Settings):
        self.engine, self.settings = engine, settings

    def tick(self, now: datetime | None = None) -> int:
        """Wake the routes whose timer is up; returns how many deliveries were written."""
        with writing(self.engine) as conn:
            return route_due(conn, settings=self.settings, now=now or utcnow())
