"""/api/v1/incidents/stream: the live alert stream, as Server-Sent Events that resume with `Last-Event-ID`.

The stream polls the timeline in short read transactions (never one held open while it waits), in a worker
thread so that the event loop stays free, and stops when the client goes away.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine

from app import incident_stream as rules
from app.api.deps import Caller, CallerDep, SettingsDep
from app.api.errors import Problem, not_found
from app.api.incidents import Kind, Severity
from app.db import reading
from app.settings import Settings
from app.storage import incident_stream as store
from app.storage.apikeys import get_api_key
from app.storage.brands import get_brand

router = APIRouter(prefix="/incidents", tags=["incidents"])
BATCH = 500  # event ids read per poll; a stream that is behind reads the next batch without waiting


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events, until disconnected"}},
)
async def stream_incidents(
    request: Request,
    caller: CallerDep,
    settings: SettingsDep,
    brand: Annotated[int | None, Query(description="Brand id")] = None,
    severity: Annotated[Severity | None, Query(description="Minimum severity of the event")] = None,
    kind: Kind | None = None,
    since: Annotated[datetime | None, Query(description="Start at events at or after this time (ISO 8601)")] = None,
    last_event_id: Annotated[int | None, Query(ge=0, description="Resume after this event id")] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Incident changes as they happen (opened, updated, escalated, acknowledged, snoozed, resolved, reopened).
    Resumes after `Last-Event-ID` (header, as EventSource sends it, or query); else from `since`, else from now."""
    if since is not None and since.tzinfo is None:
        raise Problem(422, "Invalid request", "since: add a time zone, e.g. 2026-10-03T21:00:00+02:00 or Z")
    resume = _resume_point(last_event_id_header, last_event_id)
    engine: Engine = request.app.state.engine
    workspace_id = caller.workspace_id
    filters = store.StreamFilter(brand_id=brand, severities=rules.severities_from(severity), kind=kind)

    def start() -> int:
        with reading(engine) as conn:
            if brand is not None and get_brand(conn, workspace_id=workspace_id, brand_id=brand) is None:
                raise not_found("brand", brand)
            if resume is not None:
                return resume
            return store.event_id_before(conn, since=since) if since else store.last_event_id(conn)

    cursor = rules.StreamCursor(horizon=await anyio.to_thread.run_sync(start))
    events = _events(request, engine, settings, caller=caller, cursor=cursor, filters=filters)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering (nginx)
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def _resume_point(header: str | None, query: int | None) -> int | None:
    if header is None:
        return query
    if not header.strip().isdigit():
        raise Problem(422, "Invalid request", "Last-Event-ID: send back the id of the last event received")
    return int(header)


async def _events(
    request: Request,
    engine: Engine,
    settings: Settings,
    *,
    caller: Caller,
    cursor: rules.StreamCursor,
    filters: store.StreamFilter,
) -> AsyncIterator[str]:
    yield f"retry: {rules.RETRY_MS}\n\n"
    last_sent = time.monotonic()
    while not await request.is_disconnected():
        rows, behind = await anyio.to_thread.run_sync(_poll, engine, caller, cursor, filters)
        if rows is None:
            return  # the key was revoked: a revocation applies at once, to open streams too
        for row in rows:
            yield rules.sse_event(row, public_url=settings.public_url)
        if rows:
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= settings.sse_heartbeat_seconds:
            yield rules.HEARTBEAT  # keeps proxies from closing an idle connection, and shows the client it is alive
            last_sent = time.monotonic()
        if not behind:
            await anyio.sleep(settings.sse_poll_seconds)


def _poll(
    engine: Engine, caller: Caller, cursor: rules.StreamCursor, filters: store.StreamFilter
) -> tuple[list[dict] | None, bool]:
    """The workspace's events the cursor may now send (None once the key is revoked), and whether more are
    waiting (a full batch was read)."""
    with reading(engine) as conn:
        key = get_api_key(conn, workspace_id=caller.workspace_id, key_id=caller.key_id)
        if key is None or key["revoked_at"] is not None:
            return None, False
        ids, snapshot = store.event_ids_after(conn, after=cursor.horizon, limit=BATCH)
        before = cursor.horizon
        after = rules.advance(cursor, ids, snapshot, time.monotonic())
        if after == before:
            return [], False
        rows = store.workspace_events(conn, workspace_id=caller.workspace_id, after=before, upto=after, filters=filters)
    return rows, len(ids) == BATCH and after == ids[-1]
