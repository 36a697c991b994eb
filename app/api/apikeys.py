"""/api/v1/apikeys: the workspace's API keys (admin scope). A new key is shown once, in the creation answer;
lists show its prefix, never the key or its hash. A key cannot revoke itself (use another admin key, or
`vigie apikey revoke` on the server), so the API never locks its last admin out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.deps import CallerDep, ReadConn, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.apikeys import Scope, issue_key
from app.db.schema import utcnow
from app.storage import apikeys as store

router = APIRouter(prefix="/apikeys", tags=["API keys"])
KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart (not enough to use it).")
    scope: str = Field(description="read | write | admin")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key, shown only in this answer: Vigie keeps only its hash.")


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: KeyName = Field(description="Who or what uses it, e.g. 'grafana' or 'Marie (phone)'.")
    scope: Scope


def apikey_out(row: dict[str, Any]) -> ApiKeyOut:
    """The API view of a key: never its hash."""
    return ApiKeyOut(**{k: row[k] for k in ApiKeyOut.model_fields})


@router.get("", response_model=list[ApiKeyOut])
def list_apikeys(conn: ReadConn, workspace_id: WorkspaceId) -> list[ApiKeyOut]:
    """Every key of the workspace, revoked ones included."""
    return [apikey_out(r) for r in store.list_api_keys(conn, workspace_id=workspace_id)]


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_apikey(body: ApiKeyIn, conn: WriteConn, workspace_id: WorkspaceId) -> ApiKeyCreated:
    """Make a key for this workspace; the key is in this answer only: store it now."""
    issued = issue_key(conn, workspace_id=workspace_id, name=body.name, scope=body.scope, now=utcnow())
    return ApiKeyCreated(**apikey_out(issued.row).model_dump(), key=issued.key)


@router.delete("/{key_id}", status_code=204)
def revoke_apikey(key_id: int, conn: WriteConn, workspace_id: WorkspaceId, caller: CallerDep) -> Response:
    """Revoke a key at once (it stays in the list, revoked). Idempotent; a key cannot revoke itself."""
    row = store.get_api_key(conn, workspace_id=workspace_id, key_id=key_id)
    if row is None:
        raise not_found("API key", key_id)
    if row["id"] == caller.key_id:
        raise Problem(409, "Conflict", "a key cannot revoke itself; use another admin key or `vigie apikey revoke`")
    store.revoke_api_key(conn, key_id=key_id, now=utcnow())
    return Response(status_code=204)
