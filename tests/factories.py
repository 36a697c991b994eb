"""Small builders for tests: a workspace with brands and sources, drafts that look like feed items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.db import writing
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
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
