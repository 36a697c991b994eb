"""The health page: deliveries that failed for good or are being retried (with a Redeliver button for admin keys),
channels and why one is disabled, and sources with their one-word health, last error and success, next check and
their last 24 hours of runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.sources import source_health
from app.apikeys import allows
from app.db import reading
from app.db.schema import utcnow
from app.storage import health as store
from app.storage.delivery import list_channels
from app.storage.sources import list_sources
from app.web.access import WebUserDep
from app.web.render import render

router = APIRouter()
TROUBLED_LIMIT = 100
RECENT = timedelta(hours=24)
NO_RUNS = {"runs": 0, "new": 0, "errors": 0}
HEALTH_ORDER = {"failing": 0, "degraded": 1, "pending": 2, "ok": 3, "disabled": 4}
BUILT_IN = ("api", "import")  # the workspace's sources of pushed and imported mentions: never collected


def _channel_view(row: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of a channel: never its config or secrets (URLs, tokens)."""
    keys = ("id", "name", "kind", "enabled", "disabled_reason", "next_send_at")
    return {k: row[k] for k in keys}


def _sources(rows: list[dict[str, Any]], counts: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    out = [
        {**s, "health": source_health(s), "builtin": s["kind"] in BUILT_IN, "recent": counts.get(s["id"], NO_RUNS)}
        for s in rows
    ]
    return sorted(out, key=lambda s: (s["builtin"], HEALTH_ORDER.get(s["health"], 9), s["name"]))


@router.get("/health", response_class=HTMLResponse)
def health_view(request: Request, user: WebUserDep) -> HTMLResponse:
    """Failed and retrying deliveries, channels, and sources, the most troubled first."""
    now = utcnow()
    with reading(request.app.state.engine) as conn:
        deliveries = store.troubled_deliveries(conn, workspace_id=user.workspace_id, limit=TROUBLED_LIMIT)
        channels = [_channel_view(c) for c in list_channels(conn, workspace_id=user.workspace_id)]
        counts = store.source_run_counts(conn, workspace_id=user.workspace_id, since=now - RECENT)
        sources = _sources(list_sources(conn, workspace_id=user.workspace_id), counts)
    return render(
        request,
        "health.html",
        user=user,
        nav="health",
        deliveries=deliveries,
        channels=channels,
        sources=sources,
        can_redeliver=allows(user.scope, "admin"),
        now=now,
    )
