"""The incidents view (the home page): open incidents by severity then age, each with its explanation, volume
against the usual, top mentions, timeline and actions; one incident's page; and the card fragment the page
fetches when the live stream says an incident changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alerts.detection.config import severity_rank
from app.db import reading
from app.db.schema import utcnow
from app.storage import incidents as store
from app.storage.brands import get_brand
from app.storage.workspaces import get_workspace_by_id
from app.volume import brand_volume
from app.web.access import WebUserDep
from app.web.charts import sparkline
from app.web.highlight import highlight, reason_terms
from app.web.render import render
from app.websessions import WebUser

router = APIRouter()
TOP_MENTIONS = 5
LIVE_STATUSES = ("open", "acknowledged")


def rank_key(incident: dict[str, Any]) -> str:
    """The order of the list as one string (the page's script inserts live cards by it): most severe first,
    then the oldest (the one waiting longest) first."""
    opened = int(incident["opened_at"].timestamp())
    return f"{9 - severity_rank(incident['severity'])}-{opened:012d}-{incident['id']:012d}"


class _Cards:
    """Builds the cards of one page, reading each brand's volume series once."""

    def __init__(self, conn: sa.Connection, user: WebUser, now: datetime):
        self.conn, self.user, self.now = conn, user, now
        self.workspace = get_workspace_by_id(conn, workspace_id=user.workspace_id)
        self.series: dict[int, Any] = {}

    def card(self, incident: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
        limit = None if full else TOP_MENTIONS
        mentions = store.list_incident_mentions(self.conn, incident_id=incident["id"], limit=limit)
        for m in mentions:
            m["highlighted"] = highlight(m["text"] or m["title"], reason_terms(m["scores"]))
            m["risk_reasons"] = ((m["scores"] or {}).get("risk") or {}).get("signals") or []
        return {
            "incident": incident,
            "rank": rank_key(incident),
            "mentions": mentions,
            "events": store.list_events(self.conn, incident_id=incident["id"]),
            "spark": self._spark(incident),
        }

    def _spark(self, incident: dict[str, Any]) -> Any:
        brand_id = incident["brand_id"]
        if brand_id is None:
            return None
        if brand_id not in self.series:
            brand = get_brand(self.conn, workspace_id=self.user.workspace_id, brand_id=brand_id)
            self.series[brand_id] = brand and brand_volume(
                self.conn, workspace=self.workspace, brand=brand, until=self.now
            )
        series = self.series[brand_id]
        if not series:
            return None
        label = f"{incident.get('brand_name') or ''}: {sum(series.counts)} / {round(sum(series.expected))}"
        return sparkline([float(c) for c in series.counts], baseline=series.expected, label=label, width=160, height=36)


def _live(conn: sa.Connection, workspace_id: int) -> list[dict[str, Any]]:
    rows = []
    for status in LIVE_STATUSES:
        rows += store.list_incidents(
            conn, workspace_id=workspace_id, filters=store.IncidentFilter(status=status), limit=200
        )
    return sorted(rows, key=rank_key)


@router.get("/", response_class=HTMLResponse)
def incidents_view(request: Request, user: WebUserDep) -> HTMLResponse:
    """Open and acknowledged incidents, most severe and oldest first, updated live; the last resolved ones."""
    now = utcnow()
    with reading(request.app.state.engine) as conn:
        cards = _Cards(conn, user, now)
        live = [cards.card(i) for i in _live(conn, user.workspace_id)]
        resolved = store.list_incidents(
            conn, workspace_id=user.workspace_id, filters=store.IncidentFilter(status="resolved"), limit=10
        )
    return render(request, "incidents.html", user=user, nav="incidents", cards=live, resolved=resolved)


def _one(request: Request, user: WebUser, incident_id: int, *, full: bool) -> dict[str, Any] | None:
    with reading(request.app.state.engine) as conn:
        incident = store.get_incident(conn, workspace_id=user.workspace_id, incident_id=incident_id)
        if incident is None:
            return None
        if incident["brand_id"] is not None:
            brand = get_brand(conn, workspace_id=user.workspace_id, brand_id=incident["brand_id"])
            incident["brand_name"] = brand["name"] if brand else None
        else:
            incident["brand_name"] = None
        return _Cards(conn, user, utcnow()).card(incident, full=full)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: int, user: WebUserDep) -> HTMLResponse:
    """One incident, with every contributing mention: where alert messages and acknowledge links land."""
    card = _one(request, user, incident_id, full=True)
    if card is None:
        return render(request, "not_found.html", user=user, status=404)
    return render(request, "incident.html", user=user, nav="incidents", card=card, full=True)


@router.get("/incidents/{incident_id}/card", response_class=HTMLResponse)
def incident_card(request: Request, incident_id: int, user: WebUserDep) -> HTMLResponse:
    """The card of one incident, as the list shows it (fetched by the page's script on a live event)."""
    card = _one(request, user, incident_id, full=False)
    if card is None:
        return render(request, "not_found.html", user=user, status=404)
    return render(request, "_incident.html", user=user, card=card)
