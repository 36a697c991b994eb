"""/api/v1/workspace: the caller's workspace — alert language, time zone, crisis and ignored terms, its alerting
settings (office hours, holidays, daily digest) and its retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.alerting import AlertingSpec
from app.api.deps import ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, validated
from app.channel_setup import missing_channels
from app.db.schema import utcnow
from app.retention import RetentionError, check_retention, effective_days, history_days_of
from app.route import reroute_workspace
from app.settings import Settings
from app.specs import check_timezone, clean_terms
from app.storage.brands import list_brands
from app.storage.workspaces import get_workspace_by_id, update_workspace

router = APIRouter(prefix="/workspace", tags=["workspace"])


class WorkspaceOut(BaseModel):
    id: int
    name: str
    language: str
    timezone: str
    crisis_terms: list[str]
    ignored_terms: list[str]
    alerting: AlertingSpec = Field(description="Office hours (the rest is on-call time), holidays, daily digest.")
    retention_days: int | None = Field(description="Days mentions are kept (0: forever); null: the instance default")
    effective_retention_days: int | None = Field(
        description="The retention applied: the workspace's own or VIGIE_RETENTION_DAYS, never shorter than what its "
        "brands' detection reads; null: forever"
    )
    purged_before: datetime | None = Field(
        description="Mentions published before this were purged; their statistics live on in the rollups"
    )
    created_at: datetime


class WorkspacePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["fr", "en"] | None = None
    timezone: str | None = None
    crisis_terms: list[str] | None = Field(None, description="Replaces the workspace's extra crisis terms.")
    ignored_terms: list[str] | None = Field(None, description="Replaces the terms never counted as crisis terms.")
    alerting: dict[str, Any] | None = Field(
        None, description='Alerting fields to change, e.g. {"office_end": "19:00"}; the others are kept.'
    )
    retention_days: int | None = Field(
        None,
        le=36_500,
        description="Days mentions are kept (0: forever; null: back to the instance default). At least detection's "
        "history (28 days, or a brand's own history_days) plus 7.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @field_validator("crisis_terms", "ignored_terms")
    @classmethod
    def _terms(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_terms(value)


def _history_days(conn: Any, workspace_id: int) -> list[int]:
    return history_days_of(b["detection"] for b in list_brands(conn, workspace_id=workspace_id))


def workspace_out(conn: Any, row: dict[str, Any], settings: Settings) -> WorkspaceOut:
    """The API view of the workspace, alerting defaults and the retention applied filled in."""
    days = effective_days(row["retention_days"], settings.retention_days, history_days=_history_days(conn, row["id"]))
    alerting = AlertingSpec(**(row.get("alerting") or {}))
    return WorkspaceOut(**{**row, "alerting": alerting, "effective_retention_days": days})


def _retention(conn: Any, workspace_id: int, days: int | None) -> int | None:
    """`days`, or a 422 saying the shortest retention detection allows, and why."""
    try:
        return check_retention(days, history_days=_history_days(conn, workspace_id))
    except RetentionError as exc:
        raise Problem(422, "Invalid request", f"retention_days: {exc}") from None


def _alerting(conn: Any, workspace_id: int, current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The merged alerting settings, validated; their digest channels must exist."""
    try:
        spec = validated(AlertingSpec, {**current, **patch})
    except Problem as exc:
        errors = [{**e, "field": f"alerting.{e['field']}"} for e in exc.extra["errors"]]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise Problem(422, "Invalid request", detail, errors=errors) from None
    missing = missing_channels(conn, workspace_id=workspace_id, names=set(spec.digest_channels))
    if missing:
        detail = f"alerting.digest_channels: no channel named {', '.join(map(repr, missing))} in this workspace"
        raise Problem(422, "Invalid request", detail)
    return spec.model_dump(mode="json")


@router.get("", response_model=WorkspaceOut)
def get_workspace(conn: ReadConn, workspace_id: WorkspaceId, settings: SettingsDep) -> WorkspaceOut:
    """The workspace this request acts on."""
    return workspace_out(conn, get_workspace_by_id(conn, workspace_id=workspace_id), settings)


@router.patch("", response_model=WorkspaceOut)
def patch_workspace(
    patch: WorkspacePatch, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep
) -> WorkspaceOut:
    """Change the language, time zone, terms, alerting settings or retention; new terms apply to mentions scored from
    now on, new office hours or time zone re-plan the live incidents at once, a new retention applies at the next
    purge (`retention_days: null` goes back to the instance default)."""
    values = patch.model_dump(exclude_none=True)
    if "retention_days" in patch.model_fields_set:
        values["retention_days"] = _retention(conn, workspace_id, patch.retention_days)
    if patch.alerting is not None:
        current = get_workspace_by_id(conn, workspace_id=workspace_id)["alerting"] or {}
        values["alerting"] = _alerting(conn, workspace_id, current, patch.alerting)
    row = update_workspace(conn, workspace_id=workspace_id, values=values)
    if patch.alerting is not None or patch.timezone is not None:
        reroute_workspace(conn, workspace_id=workspace_id, now=utcnow(), settings=settings)
    return workspace_out(conn, row, settings)
