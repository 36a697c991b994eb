"""/api/v1/channels: where messages go (signed webhook, Slack, e-mail), a test send, and secret rotation.

A channel's URL and signing secrets are never shown after creation: only `config.target` (scheme://host/…)
or the e-mail recipients. A new webhook channel's signing secret is shown once, in the creation answer, and
each new one once, in the rotation answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.alerting import ChannelSpec, rotated_secrets
from app.api.deps import ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, conflict_if_taken, not_found, validated
from app.channel_setup import (
    channel_spec_of,
    channel_users,
    channel_values,
    check_channel_url,
    rename_channel,
    rotation_ends_at,
)
from app.db.schema import utcnow
from app.deliver import send_test
from app.settings import Settings
from app.storage import delivery as store
from app.storage.workspaces import get_workspace_by_id

router = APIRouter(prefix="/channels", tags=["channels"])


class ChannelOut(BaseModel):
    id: int
    name: str
    kind: str
    enabled: bool
    disabled_reason: str | None = Field(description="Why Vigie disabled it, e.g. the receiver answered 410 Gone.")
    config: dict[str, Any] = Field(description="`target` (scheme://host/…, never the URL) or `to` (e-mail).")
    rotation_ends_at: datetime | None = Field(None, description="When the previous signing secret stops working.")
    created_at: datetime
    updated_at: datetime


class ChannelCreated(ChannelOut):
    signing_secret: str | None = Field(None, description="Webhook channels: the signing secret, shown only once.")


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    url: str | None = Field(None, description="A new URL replaces the stored (secret) one.")
    to: list[str] | None = None
    secret: str | None = Field(None, description="Replace the webhook signing secret at once (no overlap).")
    enabled: bool | None = None


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overlap_hours: float = Field(24, ge=0, le=168, description="How long the previous secret stays valid.")


class RotatedOut(BaseModel):
    signing_secret: str = Field(description="The new signing secret, shown only once.")
    previous_valid_until: datetime | None


class TestOut(BaseModel):
    outcome: str = Field(description="delivered | retry | failed | gone: what a real message would have met.")
    status_code: int | None
    latency_ms: float
    error: str | None


def channel_out(row: dict[str, Any], model: type[ChannelOut] = ChannelOut, **extra: Any) -> ChannelOut:
    """The API view of a channel: never its URL or secrets."""
    fields = {k: row[k] for k in ("id", "name", "kind", "enabled", "disabled_reason", "config", "created_at")}
    return model(**fields, updated_at=row["updated_at"], rotation_ends_at=rotation_ends_at(row, utcnow()), **extra)


def _own(conn: Any, workspace_id: int, channel_id: int) -> dict[str, Any]:
    row = store.get_channel(conn, workspace_id=workspace_id, channel_id=channel_id)
    if row is None:
        raise not_found("channel", channel_id)
    return row


def _check_url(spec: ChannelSpec, settings: Settings) -> None:
    try:
        check_channel_url(spec, allow_private=settings.allow_private_urls)
    except ValueError as exc:
        raise Problem(422, "Invalid request", f"url: {exc}", errors=[{"field": "url", "message": str(exc)}]) from None


@router.get("", response_model=list[ChannelOut])
def list_channels(conn: ReadConn, workspace_id: WorkspaceId) -> list[ChannelOut]:
    """Every channel of the workspace (never their URLs or secrets)."""
    return [channel_out(c) for c in store.list_channels(conn, workspace_id=workspace_id)]


@router.post("", response_model=ChannelCreated, status_code=201)
def create_channel(spec: ChannelSpec, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep) -> Any:
    """Create a channel; a webhook channel's signing secret is in this answer only: store it in your receiver."""
    _check_url(spec, settings)
    existing = store.get_channel_by_name(conn, workspace_id=workspace_id, name=spec.name)
    conflict_if_taken(existing, "channel", spec.name)
    values, _ = channel_values(spec, None)
    row = store.create_channel(conn, workspace_id=workspace_id, values=values)
    secret = values["secrets"]["signing"][0]["secret"] if spec.kind == "webhook" else None
    return channel_out(row, ChannelCreated, signing_secret=secret)


@router.get("/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> ChannelOut:
    """One channel."""
    return channel_out(_own(conn, workspace_id, channel_id))


@router.patch("/{channel_id}", response_model=ChannelOut)
def update_channel(
    channel_id: int, patch: ChannelPatch, conn: WriteConn, workspace_id: WorkspaceId, settings: SettingsDep
) -> ChannelOut:
    """Change some fields; a new `url` replaces the stored one; a rename is followed by the routes naming it."""
    row = _own(conn, workspace_id, channel_id)
    spec = validated(ChannelSpec, {**channel_spec_of(row), **patch.model_dump(exclude_unset=True)})
    if patch.url is not None:
        _check_url(spec, settings)
    existing = store.get_channel_by_name(conn, workspace_id=workspace_id, name=spec.name)
    conflict_if_taken(existing, "channel", spec.name, channel_id)
    if spec.name != row["name"]:
        rename_channel(conn, workspace_id=workspace_id, old=row["name"], new=spec.name)
    values, _ = channel_values(spec, row)
    return channel_out(store.update_channel(conn, workspace_id=workspace_id, channel_id=channel_id, values=values))


@router.delete("/{channel_id}", status_code=204)
def delete_channel(channel_id: int, conn: WriteConn, workspace_id: WorkspaceId) -> Response:
    """Delete a channel with its delivery log; refused while a route or the digest names it."""
    row = _own(conn, workspace_id, channel_id)
    users = channel_users(conn, workspace_id=workspace_id, name=row["name"])
    if users:
        raise Problem(409, "Conflict", f"channel {row['name']!r} is used by {', '.join(users)}; change them first")
    store.delete_channel(conn, workspace_id=workspace_id, channel_id=channel_id)
    return Response(status_code=204)


@router.post("/{channel_id}/rotate-secret", response_model=RotatedOut)
def rotate_secret(
    channel_id: int, conn: WriteConn, workspace_id: WorkspaceId, body: RotateIn | None = None
) -> RotatedOut:
    """Make a new signing secret (shown once); the previous one also signs for `overlap_hours` (default 24)."""
    row = _own(conn, workspace_id, channel_id)
    if row["kind"] != "webhook":
        raise Problem(409, "Conflict", f"only webhook channels have a signing secret; this one is {row['kind']}")
    now = utcnow()
    overlap = timedelta(hours=(body or RotateIn()).overlap_hours)
    secrets, new = rotated_secrets(row, now, overlap)
    if not overlap:
        secrets["signing"] = secrets["signing"][:1]  # no overlap: the previous secrets stop at once
    store.update_channel(conn, workspace_id=workspace_id, channel_id=channel_id, values={"secrets": secrets})
    return RotatedOut(signing_secret=new, previous_valid_until=now + overlap if overlap else None)


@router.post("/{channel_id}/test", response_model=TestOut)
def test_channel(channel_id: int, conn: ReadConn, workspace_id: WorkspaceId, settings: SettingsDep) -> TestOut:
    """Send a sample message now (event `vigie.test`); 200 even when the receiver failed: `outcome` says so."""
    # A read transaction: a write one would hold SQLite's write lock for the whole HTTP call.
    row = _own(conn, workspace_id, channel_id)
    if not row["enabled"]:
        reason = row["disabled_reason"] or "it was disabled"
        raise Problem(409, "Conflict", f"channel {row['name']!r} is disabled ({reason}); enable it to test it")
    workspace = get_workspace_by_id(conn, workspace_id=workspace_id)
    attempt = send_test(conn, workspace=workspace, channel=row, settings=settings, now=utcnow())
    return TestOut(
        outcome=attempt.outcome, status_code=attempt.status_code, latency_ms=attempt.latency_ms, error=attempt.error
    )
