"""/api/v1/incidents: the alert feed, one incident with its explanation, timeline and mentions, and actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app import incidents as actions
from app.api.deps import CallerDep, ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.api.mentions import MentionOut, decode_cursor, encode_cursor, mention_out
from app.db.schema import utcnow
from app.route import route_change
from app.storage import incidents as store
from app.storage.brands import get_brand
from app.storage.mentions import attach_brands

router = APIRouter(prefix="/incidents", tags=["incidents"])
Severity = Literal["info", "warning", "critical"]
Status = Literal["open", "acknowledged", "resolved"]
Kind = Literal["storm", "high_risk_mention", "silence"]


class IncidentOut(BaseModel):
    id: int
    brand_id: int | None
    brand_name: str | None = None
    source_id: int | None
    kind: str
    status: str
    severity: str
    score: int
    peak_score: int
    mention_count: int
    peak_rate: float | None
    explanation: str = Field(description="Why Vigie thinks this is a crisis, in the workspace's language")
    summary: dict[str, Any] = Field(description="Score components, figures, top terms, sources, sentiment split")
    window_start: datetime
    window_end: datetime
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    resolution_note: str | None
    snoozed_until: datetime | None


class IncidentEventOut(BaseModel):
    at: datetime
    type: str
    severity: str
    score: int
    actor: str | None
    detail: dict[str, Any]


class IncidentDetail(IncidentOut):
    timeline: list[IncidentEventOut]
    mentions: list[MentionOut]


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None = None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["handled", "false_positive", "benign"]
    note: str | None = Field(None, max_length=2000)


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: int | None = Field(None, ge=1, le=7 * 24 * 60, description="Snooze for this long...")
    until: datetime | None = Field(None, description="...or until this time (ISO 8601 with a time zone)")

    @model_validator(mode="after")
    def _one_of(self) -> SnoozeIn:
        if (self.minutes is None) == (self.until is None):
            raise ValueError("give either 'minutes' or 'until'")
        if self.until is not None and self.until.tzinfo is None:
            raise ValueError("'until' needs a time zone, e.g. 2026-11-22T23:00:00+01:00")
        return self


@router.get("", response_model=IncidentPage)
def list_incidents(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    settings: SettingsDep,
    status: Status | None = None,
    severity: Severity | None = None,
    brand: Annotated[int | None, Query(description="Brand id")] = None,
    kind: Kind | None = None,
    since: Annotated[datetime | None, Query(description="Opened at or after (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    cursor: str | None = None,
) -> IncidentPage:
    """The alert feed, newest first, with keyset (cursor) pagination."""
    if limit > settings.api_page_max:
        raise Problem(422, "Invalid request", f"limit: at most {settings.api_page_max} per page")
    if since is not None and since.tzinfo is None:
        raise Problem(422, "Invalid request", "since: add a time zone, e.g. 2026-10-03T21:00:00+02:00 or Z")
    filters = store.IncidentFilter(status=status, severity=severity, brand_id=brand, kind=kind, since=since)
    after = decode_cursor(cursor) if cursor else None
    rows = store.list_incidents(conn, workspace_id=workspace_id, filters=filters, limit=limit + 1, after=after)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1]["opened_at"], page[-1]["id"]) if len(rows) > limit else None
    return IncidentPage(items=[IncidentOut(**r) for r in page], next_cursor=next_cursor)


def _own(conn: Any, workspace_id: int, incident_id: int) -> dict[str, Any]:
    row = store.get_incident(conn, workspace_id=workspace_id, incident_id=incident_id)
    if row is None:
        raise not_found("incident", incident_id)
    return row


def _detail(conn: Any, row: dict[str, Any]) -> IncidentDetail:
    mentions = store.list_incident_mentions(conn, incident_id=row["id"])
    attach_brands(conn, mentions)
    brand = get_brand(conn, workspace_id=row["workspace_id"], brand_id=row["brand_id"]) if row["brand_id"] else None
    return IncidentDetail(
        **row,
        brand_name=brand["name"] if brand else None,
        timeline=[IncidentEventOut(**e) for e in store.list_events(conn, incident_id=row["id"])],
        mentions=[mention_out(m) for m in mentions],
    )


@router.get("/{incident_id}", response_model=IncidentDetail)
def get_incident(incident_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> IncidentDetail:
    """One incident: its explanation, its timeline and its contributing mentions."""
    return _detail(conn, _own(conn, workspace_id, incident_id))


def _act(conn: Any, settings: Any, caller: Any, action: Any, **kwargs: Any) -> IncidentDetail:
    now = utcnow()
    try:
        incident = action(conn, actor=caller.actor, now=now, **kwargs)  # the timeline names the key
    except actions.IncidentActionError as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    route_change(conn, incident=incident, settings=settings, now=now)  # tell who was paged, in this transaction
    return _detail(conn, incident)


@router.post("/{incident_id}/ack", response_model=IncidentDetail)
def acknowledge(
    incident_id: int, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep, caller: CallerDep
) -> IncidentDetail:
    """Acknowledge: you are on it, nobody else is paged. Idempotent."""
    return _act(conn, settings, caller, actions.acknowledge, incident=_own(conn, workspace_id, incident_id))


@router.post("/{incident_id}/resolve", response_model=IncidentDetail)
def resolve(
    incident_id: int,
    body: ResolveIn,
    conn: WriteConn,
    workspace_id: WorkspaceId,
    settings: SettingsDep,
    caller: CallerDep,
) -> IncidentDetail:
    """Resolve with a reason: handled, false_positive or benign (false positives stay in baselines). Idempotent."""
    incident = _own(conn, workspace_id, incident_id)
    return _act(conn, settings, caller, actions.resolve, incident=incident, reason=body.reason, note=body.note)


@router.post("/{incident_id}/snooze", response_model=IncidentDetail)
def snooze(
    incident_id: int,
    body: SnoozeIn,
    conn: WriteConn,
    workspace_id: WorkspaceId,
    settings: SettingsDep,
    caller: CallerDep,
) -> IncidentDetail:
    """Silence the incident's notifications for `minutes` or until `until`; detection goes on."""
    incident = _own(conn, workspace_id, incident_id)
    until = body.until or utcnow() + timedelta(minutes=body.minutes or 0)
    return _act(conn, settings, caller, actions.snooze, incident=incident, until=until)
