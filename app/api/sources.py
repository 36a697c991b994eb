"""/api/v1/sources: what Vigie fetches, with health and a manual refresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ReadConn, WorkspaceId, WriteConn
from app.api.errors import Problem, conflict_if_taken, not_found, validated
from app.specs import SourceSpec, source_spec_of
from app.storage import sources as store

router = APIRouter(prefix="/sources", tags=["sources"])
FAILING_AFTER = 3  # consecutive failed runs


class SourceRunOut(BaseModel):
    started_at: datetime
    duration_ms: int
    status: str
    http_status: int | None
    fetched_count: int
    new_count: int
    duplicate_count: int
    unmatched_count: int
    error: str | None


class SourceOut(BaseModel):
    id: int
    name: str
    kind: str
    url: str | None
    params: dict[str, Any]
    interval: int
    enabled: bool
    due_at: datetime
    leased: bool
    consecutive_errors: int
    last_status: str | None
    last_error: str | None
    last_error_at: datetime | None
    last_success_at: datetime | None
    health: Literal["ok", "pending", "degraded", "failing", "disabled"] = Field(
        description="ok; pending (never collected yet); degraded (the last run failed or was partial); failing "
        f"({FAILING_AFTER} failures in a row or more: checked less and less often, see `last_error`); disabled"
    )
    created_at: datetime
    updated_at: datetime
    recent_runs: list[SourceRunOut] | None = None


class SourcePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    kind: str | None = None
    url: str | None = None
    params: dict[str, Any] | None = None
    interval: int | str | None = None
    enabled: bool | None = None


def source_health(row: dict[str, Any]) -> str:
    """The one-word health of a source (see SourceOut.health)."""
    if not row["enabled"]:
        return "disabled"
    if row["consecutive_errors"] >= FAILING_AFTER:
        return "failing"
    if row["consecutive_errors"] > 0 or row["last_status"] == "partial":
        return "degraded"
    if row["last_success_at"] is None:
        return "pending"
    return "ok"


def source_out(row: dict[str, Any], runs: list[dict[str, Any]] | None = None) -> SourceOut:
    leased = row["lease_until"] is not None
    extra = {"interval": row["interval_seconds"], "leased": leased, "health": source_health(row)}
    recent = [SourceRunOut(**r) for r in runs] if runs is not None else None
    return SourceOut(**{**row, **extra, "recent_runs": recent})


def _own(conn: Any, workspace_id: int, source_id: int) -> dict[str, Any]:
    row = store.get_source(conn, workspace_id=workspace_id, source_id=source_id)
    if row is None:
        raise not_found("source", source_id)
    return row


@router.get("", response_model=list[SourceOut])
def list_sources(conn: ReadConn, workspace_id: WorkspaceId) -> list[SourceOut]:
    """Every source of the workspace with its health."""
    return [source_out(s) for s in store.list_sources(conn, workspace_id=workspace_id)]


@router.post("", response_model=SourceOut, status_code=201)
def create_source(spec: SourceSpec, conn: WriteConn, workspace_id: WorkspaceId) -> SourceOut:
    """Create a source; it is due at once."""
    conflict_if_taken(store.get_source_by_name(conn, workspace_id=workspace_id, name=spec.name), "source", spec.name)
    return source_out(store.create_source(conn, workspace_id=workspace_id, values=spec.to_row()))


@router.get("/{source_id}", response_model=SourceOut)
def get_source(source_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> SourceOut:
    """One source with its latest runs."""
    row = _own(conn, workspace_id, source_id)
    return source_out(row, store.list_source_runs(conn, source_id=source_id))


@router.patch("/{source_id}", response_model=SourceOut)
def update_source(source_id: int, patch: SourcePatch, conn: WriteConn, workspace_id: WorkspaceId) -> SourceOut:
    """Change some fields; a new URL, kind or params resets the fetch state and makes it due."""
    row = _own(conn, workspace_id, source_id)
    if row["kind"] in ("api", "import"):
        raise Problem(409, "Conflict", "this built-in source holds pushed or imported mentions; it cannot change")
    spec = validated(SourceSpec, {**source_spec_of(row), **patch.model_dump(exclude_unset=True)})
    conflict_if_taken(
        store.get_source_by_name(conn, workspace_id=workspace_id, name=spec.name), "source", spec.name, source_id
    )
    return source_out(store.update_source(conn, workspace_id=workspace_id, source_id=source_id, values=spec.to_row()))


@router.delete("/{source_id}", status_code=204)
def delete_source(source_id: int, conn: WriteConn, workspace_id: WorkspaceId) -> Response:
    """Delete a source with its runs and its mentions."""
    if not store.delete_source(conn, workspace_id=workspace_id, source_id=source_id):
        raise not_found("source", source_id)
    return Response(status_code=204)


@router.post("/{source_id}/refresh", response_model=SourceOut, status_code=202)
def refresh_source(source_id: int, conn: WriteConn, workspace_id: WorkspaceId) -> SourceOut:
    """Make the source due now; the next collecting tick (a few seconds) fetches it."""
    row = _own(conn, workspace_id, source_id)
    if not row["enabled"]:
        raise Problem(409, "Conflict", "this source is disabled; enable it (PATCH enabled=true) to refresh it")
    return source_out(store.mark_source_due(conn, workspace_id=workspace_id, source_id=source_id))
