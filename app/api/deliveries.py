"""/api/v1/deliveries: the delivery log (the outbox), each delivery's attempts, and manual redelivery."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.db.schema import utcnow
from app.storage import delivery as store

router = APIRouter(prefix="/deliveries", tags=["deliveries"])
Status = Literal["pending", "delivered", "dead", "cancelled"]


class DeliveryOut(BaseModel):
    id: int
    message_id: str = Field(description="The webhook-id: the same on every retry and redelivery.")
    channel_id: int
    channel: str = Field(description="The channel's name.")
    incident_id: int | None
    event: str
    reason: str
    status: str = Field(description="pending | delivered | dead | cancelled")
    attempts: int
    due_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptOut(BaseModel):
    at: datetime
    outcome: str
    status_code: int | None
    latency_ms: float
    error: str | None


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut] = Field(description="Every attempt, oldest first.")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next (older) page.")


def encode_cursor(delivery_id: int) -> str:
    """The opaque cursor after `delivery_id`."""
    return base64.urlsafe_b64encode(f"d{delivery_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The delivery id of a cursor; 400 when it is not one Vigie gave."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("d"):
            raise ValueError(raw)
        return int(raw[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(400, "Invalid cursor", "this cursor is not one Vigie gave; start again without it") from None


def _channel_names(conn: Any, workspace_id: int) -> dict[int, str]:
    return {c["id"]: c["name"] for c in store.list_channels(conn, workspace_id=workspace_id)}


def delivery_out(row: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    """A delivery row with its channel's name (and nothing of its secrets)."""
    return {**row, "channel": names.get(row["channel_id"], "?")}


@router.get("", response_model=DeliveryPage)
def list_deliveries(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    settings: SettingsDep,
    status: Status | None = None,
    channel: Annotated[int | None, Query(description="Channel id")] = None,
    incident: Annotated[int | None, Query(description="Incident id")] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    cursor: str | None = None,
) -> DeliveryPage:
    """The delivery log, newest first, with keyset (cursor) pagination."""
    if limit > settings.api_page_max:
        raise Problem(422, "Invalid request", f"limit: at most {settings.api_page_max} per page")
    filters = store.DeliveryFilter(status=status, channel_id=channel, incident_id=incident)
    before = decode_cursor(cursor) if cursor else None
    rows = store.list_deliveries(conn, workspace_id=workspace_id, filters=filters, limit=limit + 1, before_id=before)
    page = rows[:limit]
    names = _channel_names(conn, workspace_id)
    next_cursor = encode_cursor(page[-1]["id"]) if len(rows) > limit else None
    return DeliveryPage(items=[DeliveryOut(**delivery_out(r, names)) for r in page], next_cursor=next_cursor)


def _detail(conn: Any, workspace_id: int, row: dict[str, Any]) -> DeliveryDetail:
    attempts = [AttemptOut(**a) for a in store.list_attempts(conn, delivery_id=row["id"])]
    return DeliveryDetail(**delivery_out(row, _channel_names(conn, workspace_id)), attempt_log=attempts)


def _own(conn: Any, workspace_id: int, delivery_id: int) -> dict[str, Any]:
    row = store.get_delivery(conn, workspace_id=workspace_id, delivery_id=delivery_id)
    if row is None:
        raise not_found("delivery", delivery_id)
    return row


@router.get("/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(delivery_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> DeliveryDetail:
    """One delivery with its attempts."""
    return _detail(conn, workspace_id, _own(conn, workspace_id, delivery_id))


@router.post("/{delivery_id}/redeliver", response_model=DeliveryDetail, status_code=202)
def redeliver(delivery_id: int, conn: WriteConn, workspace_id: WorkspaceId) -> DeliveryDetail:
    """Put a finished delivery (delivered, dead or cancelled) back in the outbox, due now, same message id."""
    row = _own(conn, workspace_id, delivery_id)
    if row["status"] == "pending":
        raise Problem(409, "Conflict", f"delivery {delivery_id} is still pending; it will be tried at its due time")
    channel = store.get_channel(conn, workspace_id=workspace_id, channel_id=row["channel_id"])
    if channel is not None and not channel["enabled"]:
        detail = f"channel {channel['name']!r} is disabled; enable it (PATCH /api/v1/channels/{channel['id']}) first"
        raise Problem(409, "Conflict", detail)
    updated = store.redeliver(conn, workspace_id=workspace_id, delivery_id=delivery_id, now=utcnow())
    return _detail(conn, workspace_id, updated)  # type: ignore[arg-type]
