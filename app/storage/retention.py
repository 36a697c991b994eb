"""The purge in the database: the workspaces' policies, the horizon each has reached, and batches of mentions past it
deleted with their links (tombstones kept, rollups untouched). Plain SQL, no policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import brands, incident_mentions, mention_brands, mentions, workspaces
from app.storage.tombstones import bury


def retention_workspaces(conn: sa.Connection, *, name: str | None = None) -> list[dict[str, Any]]:
    """Every workspace (or the one called `name`) with its retention fields and its brands' detection overrides
    (`detection`: a list, one per brand)."""
    fields = ("id", "name", "timezone", "retention_days", "purged_before")
    stmt = sa.select(*(workspaces.c[f] for f in fields)).order_by(workspaces.c.id)
    if name is not None:
        stmt = stmt.where(workspaces.c.name == name)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    overrides: dict[int, list[Any]] = {r["id"]: [] for r in rows}
    for workspace_id, detection in conn.execute(sa.select(brands.c.workspace_id, brands.c.detection)):
        if workspace_id in overrides:
            overrides[workspace_id].append(detection)
    return [{**r, "detection": overrides[r["id"]]} for r in rows]


def advance_horizon(conn: sa.Connection, *, workspace_id: int, horizon: datetime) -> None:
    """Record that mentions published before `horizon` are being purged (it only ever moves forward). Commit it before
    the first batch: from then on, recounts and statistics leave the periods before it to the rollups."""
    stmt = (
        sa.update(workspaces)
        .where(
            workspaces.c.id == workspace_id,
            sa.or_(workspaces.c.purged_before.is_(None), workspaces.c.purged_before < horizon),
        )
        .values(purged_before=horizon)
    )
    conn.execute(stmt)


def _expired(workspace_id: int, before: datetime) -> list[sa.ColumnElement]:
    return [mentions.c.workspace_id == workspace_id, mentions.c.published_at < before]


def claim_expired(conn: sa.Connection, *, workspace_id: int, before: datetime, limit: int) -> list[dict[str, Any]]:
    """Lock up to `limit` of the workspace's mentions published before `before`, oldest first, with their dedup keys.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so two purging workers take disjoint batches; SQLite: the caller's write
    transaction (BEGIN IMMEDIATE) serialises them, and the second finds the first's batch gone."""
    stmt = (
        sa.select(*(mentions.c[k] for k in ("id", "source_id", "external_id", "canonical_url", "content_hash")))
        .where(*_expired(workspace_id, before))
        .order_by(mentions.c.published_at, mentions.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _links(conn: sa.Connection, ids: list[int]) -> dict[str, int]:
    brand_links = sa.select(sa.func.count()).where(mention_brands.c.mention_id.in_(ids))
    incident_links = sa.select(sa.func.count(), sa.func.count(sa.distinct(incident_mentions.c.incident_id))).where(
        incident_mentions.c.mention_id.in_(ids)
    )
    links, incidents = conn.execute(incident_links).one()
    return {"brand_links": conn.execute(brand_links).scalar_one(), "incident_links": links, "incidents": incidents}


def delete_mentions(
    conn: sa.Connection, *, workspace_id: int, rows: list[dict[str, Any]], now: datetime
) -> dict[str, int]:
    """Keep the tombstones of these claimed mentions and delete them; their brand links, incident links and curation
    marks go with them (ON DELETE CASCADE). The rollups are left as they are: they keep counting them. What was
    deleted: `mentions`, `brand_links`, `incident_links`, `incidents` (that lost some of their mention list)."""
    ids = [r["id"] for r in rows]
    if not ids:
        return {"mentions": 0, "brand_links": 0, "incident_links": 0, "incidents": 0}
    counts = _links(conn, ids)
    bury(conn, workspace_id=workspace_id, rows=rows, now=now)
    deleted = conn.execute(sa.delete(mentions).where(mentions.c.id.in_(ids))).rowcount
    return {"mentions": deleted, **counts}


def count_expired(conn: sa.Connection, *, workspace_id: int, before: datetime) -> dict[str, int]:
    """What a purge to `before` would delete (a dry run): the same figures as `delete_mentions`."""
    expired = sa.select(mentions.c.id).where(*_expired(workspace_id, before)).scalar_subquery()
    count = sa.select(sa.func.count()).where(*_expired(workspace_id, before))
    brand_links = sa.select(sa.func.count()).where(mention_brands.c.mention_id.in_(expired))
    incident_links = sa.select(sa.func.count(), sa.func.count(sa.distinct(incident_mentions.c.incident_id))).where(
        incident_mentions.c.mention_id.in_(expired)
    )
    links, incidents = conn.execute(incident_links).one()
    return {
        "mentions": conn.execute(count).scalar_one(),
        "brand_links": conn.execute(brand_links).scalar_one(),
        "incident_links": links,
        "incidents": incidents,
    }
