"""Build the message about an incident (alerts.delivery.IncidentMessage) from the database, and store it.

A delivery keeps the message as it was when the incident changed: retries send the same words with the
same `message_id`, and a message about an update never shows a later resolution.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from alerts.delivery.message import IncidentMessage, MentionView
from app.acklinks import make_token, signing_key
from app.settings import Settings
from app.storage.brands import brand_name
from app.storage.incidents import list_events, list_incident_mentions
from app.storage.sources import source_names

TOP_MENTIONS = 5
_TIMES = ("opened_at", "updated_at", "resolved_at")


def new_message_id() -> str:
    """A message id: the webhook-id of every attempt of one delivery."""
    return f"msg_{uuid.uuid4().hex}"


def incident_message(
    conn: sa.Connection,
    *,
    workspace: dict[str, Any],
    incident: dict[str, Any],
    event: str,
    reason: str,
    escalation_step: int,
    settings: Settings,
    now: datetime,
) -> IncidentMessage:
    """The message about `incident` as it is now, in the workspace's language, with its links."""
    brand = brand_name(conn, workspace_id=workspace["id"], brand_id=incident["brand_id"])
    summary = incident["summary"] or {}
    base = settings.public_url.rstrip("/")
    ack_url = None
    if incident["status"] == "open":
        token = make_token(
            signing_key(conn, settings),
            incident_id=incident["id"],
            now=now,
            valid=timedelta(hours=settings.ack_link_hours),
        )
        ack_url = f"{base}/ack/{token}"
    acked_by = [e["actor"] for e in list_events(conn, incident_id=incident["id"]) if e["type"] == "acknowledged"]
    return IncidentMessage(
        message_id=new_message_id(),
        event=event,
        reason=reason,  # type: ignore[arg-type]
        language=workspace["language"],
        workspace_name=workspace["name"],
        brand_name=brand,
        incident_id=incident["id"],
        kind=incident["kind"],
        severity=incident["severity"],
        status=incident["status"],
        score=incident["score"],
        peak_score=incident["peak_score"],
        mention_count=incident["mention_count"],
        peak_rate=incident["peak_rate"],
        explanation=incident["explanation"],
        opened_at=incident["opened_at"],
        updated_at=incident["updated_at"],
        incident_url=f"{base}/incidents/{incident['id']}",  # the web page (it asks to sign in first)
        ack_url=ack_url,
        top_mentions=_top_mentions(conn, workspace["id"], incident["id"]),
        top_terms=tuple((t["term"], t["mentions"]) for t in summary.get("top_terms", [])[:10]),
        sentiment_split=summary.get("sentiment_split", {}),
        resolved_at=incident["resolved_at"],
        resolution=incident["resolution"],
        escalation_step=escalation_step,
        acknowledged_by=acked_by[-1] if acked_by else None,
    )


def _top_mentions(conn: sa.Connection, workspace_id: int, incident_id: int) -> tuple[MentionView, ...]:
    rows = list_incident_mentions(conn, incident_id=incident_id)[:TOP_MENTIONS]
    names = source_names(conn, workspace_id=workspace_id) if rows else {}
    return tuple(
        MentionView(
            title=m["title"],
            text=m["text"],
            url=m["url"],
            author=m["author"],
            author_reach=m["author_reach"],
            sentiment=m["sentiment_label"],
            risk=m["risk"] or 0,
            published_at=m["published_at"],
            source_name=names.get(m["source_id"]),
        )
        for m in rows
    )


def message_to_dict(message: IncidentMessage) -> dict[str, Any]:
    """JSON-ready: datetimes as ISO 8601, tuples as lists."""
    out = dataclasses.asdict(message)
    for name in _TIMES:
        out[name] = out[name].isoformat() if out[name] is not None else None
    for mention in out["top_mentions"]:
        mention["published_at"] = mention["published_at"].isoformat()
    return out


def message_from_dict(data: dict[str, Any]) -> IncidentMessage:
    """The inverse of message_to_dict."""
    values = dict(data)
    for name in _TIMES:
        values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
    values["top_mentions"] = tuple(
        MentionView(**{**m, "published_at": datetime.fromisoformat(m["published_at"])}) for m in values["top_mentions"]
    )
    values["top_terms"] = tuple((t, n) for t, n in values["top_terms"])
    return IncidentMessage(**values)
