"""/api/v1/routes: which incidents page which channels, when, and how often (reminders, escalation).

Every change re-plans the live incidents in the same transaction, so a new route pages about an incident
that is already open, and a deleted one stops its reminders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.alerting import EscalationSpec, RouteSpec, route_spec_of
from app.api.deps import ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, conflict_if_taken, not_found, validated
from app.channel_setup import missing_channels
from app.db.schema import utcnow
from app.route import reroute_workspace
from app.settings import Settings
from app.storage import delivery as store

router = APIRouter(prefix="/routes", tags=["routes"])


class EscalationOut(BaseModel):
    after: int = Field(description="Seconds after the first message.")
    channels: list[str]


class RouteOut(BaseModel):
    id: int
    name: str
    enabled: bool
    channels: list[str]
    brands: list[str]
    kinds: list[str]
    min_severity: str
    when: str
    group_wait: int = Field(description="Seconds.")
    group_interval: int = Field(description="Seconds.")
    repeat_interval: int = Field(description="Seconds; 0 = no reminders.")
    escalation: list[EscalationOut]
    notify_resolved: bool
    created_at: datetime
    updated_at: datetime


class RoutePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    channels: list[str] | None = None
    brands: list[str] | None = None
    kinds: list[Literal["storm", "high_risk_mention", "silence"]] | None = None
    min_severity: Literal["warning", "critical"] | None = None
    when: Literal["always", "office_hours", "on_call"] | None = None
    group_wait: int | str | None = None
    group_interval: int | str | None = None
    repeat_interval: int | str | None = None
    escalation: list[EscalationSpec] | None = None
    notify_resolved: bool | None = None
    enabled: bool | None = None


def route_out(row: dict[str, Any]) -> RouteOut:
    """The API view of a route, durations in seconds."""
    spec = route_spec_of(row).model_dump(mode="json")
    return RouteOut(**spec, id=row["id"], created_at=row["created_at"], updated_at=row["updated_at"])


def _own(conn: Any, workspace_id: int, route_id: int) -> dict[str, Any]:
    row = store.get_route(conn, workspace_id=workspace_id, route_id=route_id)
    if row is None:
        raise not_found("route", route_id)
    return row


def _check(conn: Any, workspace_id: int, spec: RouteSpec, own_id: int | None = None) -> None:
    """422 when a channel it names does not exist; 409 when the name is taken."""
    missing = missing_channels(conn, workspace_id=workspace_id, names=spec.channel_names())
    if missing:
        listed = ", ".join(repr(m) for m in missing)
        detail = f"channels: no channel named {listed} in this workspace; create it first (POST /api/v1/channels)"
        raise Problem(422, "Invalid request", detail, errors=[{"field": "channels", "message": detail}])
    existing = store.get_route_by_name(conn, workspace_id=workspace_id, name=spec.name)
    conflict_if_taken(existing, "route", spec.name, own_id)


def _reroute(conn: Any, workspace_id: int, settings: Settings) -> None:
    reroute_workspace(conn, workspace_id=workspace_id, now=utcnow(), settings=settings)


@router.get("", response_model=list[RouteOut])
def list_routes(conn: ReadConn, workspace_id: WorkspaceId) -> list[RouteOut]:
    """Every route of the workspace."""
    return [route_out(r) for r in store.list_routes(conn, workspace_id=workspace_id)]


@router.post("", response_model=RouteOut, status_code=201)
def create_route(spec: RouteSpec, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep) -> RouteOut:
    """Create a route; every channel it names (escalation included) must exist."""
    _check(conn, workspace_id, spec)
    row = store.create_route(conn, workspace_id=workspace_id, values=spec.to_row())
    _reroute(conn, workspace_id, settings)
    return route_out(row)


@router.get("/{route_id}", response_model=RouteOut)
def get_route(route_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> RouteOut:
    """One route."""
    return route_out(_own(conn, workspace_id, route_id))


@router.patch("/{route_id}", response_model=RouteOut)
def update_route(
    route_id: int, patch: RoutePatch, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep
) -> RouteOut:
    """Change some fields of a route; live incidents are re-planned with it."""
    row = _own(conn, workspace_id, route_id)
    current = route_spec_of(row).model_dump(mode="json")
    spec = validated(RouteSpec, {**current, **patch.model_dump(exclude_unset=True, mode="json")})
    _check(conn, workspace_id, spec, route_id)
    updated = store.update_route(conn, workspace_id=workspace_id, route_id=route_id, values=spec.to_row())
    _reroute(conn, workspace_id, settings)
    return route_out(updated)


@router.delete("/{route_id}", status_code=204)
def delete_route(route_id: int, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep) -> Response:
    """Delete a route: its timers stop; messages already in the outbox still go out."""
    if not store.delete_route(conn, workspace_id=workspace_id, route_id=route_id):
        raise not_found("route", route_id)
    _reroute(conn, workspace_id, settings)
    return Response(status_code=204)
