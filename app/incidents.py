"""What people do to incidents: acknowledge, resolve with a reason, snooze. Every change lands in the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.storage.incidents import add_event, get_incident, update_incident

RESOLUTIONS = ("handled", "false_positive", "benign")
MAX_SNOOZE = timedelta(days=7)


class IncidentActionError(ValueError):
    """An action that does not apply to the incident in its current state; the message says why."""


def _event(conn: sa.Connection, incident: dict[str, Any], type: str, actor: str, now: datetime, **detail: Any) -> None:
    add_event(
        conn,
        incident_id=incident["id"],
        type=type,
        at=now,
        severity=incident["severity"],
        score=incident["score"],
        actor=actor,
        detail=detail,
    )


def _reload(conn: sa.Connection, incident: dict[str, Any]) -> dict[str, Any]:
    return get_incident(conn, workspace_id=incident["workspace_id"], incident_id=incident["id"])  # type: ignore


def acknowledge(conn: sa.Connection, *, incident: dict[str, Any], actor: str, now: datetime) -> dict[str, Any]:
    """Open → acknowledged, so that nobody else is paged; acknowledging twice changes nothing."""
    if incident["status"] == "resolved":
        raise IncidentActionError("this incident is resolved; a new flare-up would reopen it")
    if incident["status"] == "acknowledged":
        return incident
    update_incident(
        conn, incident_id=incident["id"], values={"status": "acknowledged", "acknowledged_at": now, "updated_at": now}
    )
    _event(conn, incident, "acknowledged", actor, now)
    return _reload(conn, incident)


def resolve(
    conn: sa.Connection, *, incident: dict[str, Any], reason: str, note: str | None, actor: str, now: datetime
) -> dict[str, Any]:
    """Resolve with a reason (handled, false_positive, benign); resolving twice changes nothing."""
    if reason not in RESOLUTIONS:
        raise IncidentActionError(f"reason must be one of {', '.join(RESOLUTIONS)}")
    if incident["status"] == "resolved":
        return incident
    values = {
        "status": "resolved",
        "resolved_at": now,
        "resolution": reason,
        "resolution_note": note,
        "updated_at": now,
        "snoozed_until": None,
    }
    update_incident(conn, incident_id=incident["id"], values=values)
    _event(conn, incident, "resolved", actor, now, reason=reason, note=note)
    return _reload(conn, incident)


def snooze(
    conn: sa.Connection, *, incident: dict[str, Any], until: datetime, actor: str, now: datetime
) -> dict[str, Any]:
    """Silence the incident's notifications until `until` (at most 7 days); detection goes on."""
    if incident["status"] == "resolved":
        raise IncidentActionError("this incident is resolved; there is nothing to snooze")
    if not now < until <= now + MAX_SNOOZE:
        raise IncidentActionError("snooze until a time in the future, at most 7 days from now")
    update_incident(conn, incident_id=incident["id"], values={"snoozed_until": until, "updated_at": now})
    _event(conn, incident, "snoozed", actor, now, until=until.isoformat())
    return _reload(conn, incident)
