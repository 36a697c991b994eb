"""/api/v1/workspace: the caller's workspace — alert language, time zone, crisis and ignored terms."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.deps import ReadConn, WorkspaceId, WriteConn
from app.specs import check_timezone, clean_terms
from app.storage.workspaces import get_workspace_by_id, update_workspace

router = APIRouter(prefix="/workspace", tags=["workspace"])


class WorkspaceOut(BaseModel):
    id: int
    name: str
    language: str
    timezone: str
    crisis_terms: list[str]
    ignored_terms: list[str]
    created_at: datetime


class WorkspacePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["fr", "en"] | None = None
    timezone: str | None = None
    crisis_terms: list[str] | None = Field(None, description="Replaces the workspace's extra crisis terms.")
    ignored_terms: list[str] | None = Field(None, description="Replaces the terms never counted as crisis terms.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @field_validator("crisis_terms", "ignored_terms")
    @classmethod
    def _terms(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_terms(value)


@router.get("", response_model=WorkspaceOut)
def get_workspace(conn: ReadConn, workspace_id: WorkspaceId) -> WorkspaceOut:
    """The workspace this request acts on."""
    return WorkspaceOut(**get_workspace_by_id(conn, workspace_id=workspace_id))


@router.patch("", response_model=WorkspaceOut)
def patch_workspace(patch: WorkspacePatch, conn: WriteConn, workspace_id: WorkspaceId) -> WorkspaceOut:
    """Change the language, time zone or terms; new terms apply to mentions scored from now on."""
    row = update_workspace(conn, workspace_id=workspace_id, values=patch.model_dump(exclude_none=True))
    return WorkspaceOut(**row)
