"""/api/v1/silences: quiet about matching incidents for a while (a planned campaign, a known outage).

Detection goes on during a silence; only messages are held back. Ending a silence keeps it for the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.alerting import SilenceSpec
from app.api.deps import ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.db.schema import utcnow
from app.route import reroute_workspace
from app.storage import delivery as store
from app.storage.brands import get_brand_by_name

router = APIRouter(prefix="/silences", tags=["silences"])


class SilenceOut(BaseModel):
    id: int
    brand: str | None
    kind: str | None
    severity: str | None
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    created_at: datetime
    active: bool = Field(description="In force now.")


def silence_out(row: dict[str, Any], now: datetime) -> SilenceOut:
    """The API view of a silence, `active` at `now`."""
    return SilenceOut(**row, active=row["starts_at"] <= now < row["ends_at"])


@router.get("", response_model=list[SilenceOut])
def list_silences(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    active: Annotated[bool, Query(description="Only the silences not over yet (in force or to come)")] = False,
) -> list[SilenceOut]:
    """The workspace's silences, oldest first."""
    now = utcnow()
    rows = store.list_silences(conn, workspace_id=workspace_id, active_at=now if active else None)
    return [silence_out(r, now) for r in rows]


@router.post("", response_model=SilenceOut, status_code=201)
def create_silence(spec: SilenceSpec, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep) -> SilenceOut:
    """Create a silence from `starts_at` (default now) to `ends_at` or for `duration`."""
    now = utcnow()
    if spec.brand is not None and get_brand_by_name(conn, workspace_id=workspace_id, name=spec.brand) is None:
        detail = f"brand: no brand named {spec.brand!r} in this workspace (silences name brands exactly)"
        raise Problem(422, "Invalid request", detail, errors=[{"field": "brand", "message": detail}])
    try:
        values = spec.to_row(now)
    except ValueError as exc:
        raise Problem(422, "Invalid request", str(exc).removeprefix("silence: ")) from None
    row = store.create_silence(conn, workspace_id=workspace_id, values=values)
    reroute_workspace(conn, workspace_id=workspace_id, now=now, settings=settings)
    return silence_out(row, now)


@router.get("/{silence_id}", response_model=SilenceOut)
def get_silence(silence_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> SilenceOut:
    """One silence."""
    row = store.get_silence(conn, workspace_id=workspace_id, silence_id=silence_id)
    if row is None:
        raise not_found("silence", silence_id)
    return silence_out(row, utcnow())


@router.delete("/{silence_id}", status_code=204)
def end_silence(silence_id: int, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep) -> Response:
    """End the silence now (it stays in the list, ended); held-back incidents are notified per their routes."""
    now = utcnow()
    if store.end_silence(conn, workspace_id=workspace_id, silence_id=silence_id, at=now) is None:
        raise not_found("silence", silence_id)
    reroute_workspace(conn, workspace_id=workspace_id, now=now, settings=settings)
    return Response(status_code=204)
