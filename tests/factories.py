"""Small builders for tests: a workspace with brands and sources, drafts that look like feed items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.db import writing
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.incidents import add_event, create_incident, link_mentions
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace
from collectors.base import MentionDraft

ORANGE = {"name": "Orange", "query": '(orange OR livebox OR sosh) -"jus d\'orange"', "languages": ["fr", "en"]}
FREE = {"name": "Free", "query": 'freebox OR "free mobile"', "competitor": True}


def make_world(engine: sa.Engine, *, sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Workspace `default` with the brands Orange and Free and the given sources (rss by default)."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        brands = [create_brand(conn, workspace_id=ws["id"], values=BrandSpec(**b).to_row()) for b in (ORANGE, FREE)]
        made = [
            create_source(conn, workspace_id=ws["id"], values=SourceSpec(**s).to_row())
            for s in (sources or [{"name": "feed", "kind": "rss", "url": "https://example.org/feed.xml"}])
        ]
    return {"workspace": ws, "brands": {b["name"]: b for b in brands}, "sources": made}


def draft(n: int, text: str, **kw: Any) -> MentionDraft:
    """A feed-item-like draft number `n`."""
    values = {
        "external_id": f"guid-{n}",
        "url": f"https://news.example.fr/article/{n}?utm_source=rss",
        "title": kw.pop("title", f"Article {n}"),
        "text": text,
        "published_at": datetime(2026, 11, 20, 10, n % 60, tzinfo=UTC),
    }
    values.update(kw)
    return MentionDraft(**values)


def store_incident(
    engine: sa.Engine,
    *,
    brand_id: int,
    at: datetime,
    workspace_id: int = 1,
    kind: str = "storm",
    severity: str = "critical",
    status: str = "open",
    dedup_key: str | None = None,
    explanation: str = "Score 87 — 340 mentions/h vs 25 expected",
    mention_ids: tuple[int, ...] | list[int] = (),
) -> int:
    """An incident opened at `at` with its "opened" event and its mentions, as detection writes it; its id."""
    values = {
        "workspace_id": workspace_id,
        "brand_id": brand_id,
        "kind": kind,
        "dedup_key": dedup_key or f"{kind}:{brand_id}:{at.isoformat()}",
        "status": status,
        "severity": severity,
        "score": 87,
        "peak_score": 87,
        "mention_count": len(mention_ids),
        "peak_rate": 340.0,
        "explanation": explanation,
        "summary": {"score": 87},
        "window_start": at,
        "window_end": at,
        "opened_at": at,
        "updated_at": at,
        "resolved_at": at if status == "resolved" else None,
        "resolution": "handled" if status == "resolved" else None,
    }
    with writing(engine) as conn:
        incident_id = create_incident(conn, values=values)
        add_event(conn, incident_id=incident_id, type="opened", at=at, severity=severity, score=87, actor="vigie")
        link_mentions(conn, incident_id=incident_id, mention_ids=list(mention_ids))
    return incident_id
