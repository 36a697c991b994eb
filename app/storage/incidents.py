"""Incidents: one row per storm, its timeline of events and its contributing mentions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import brands, incident_events, incident_mentions, incidents, mentions
from app.storage import fetch_one

MAX_LINKED_MENTIONS = 50  # the incident keeps its most important mentions; the feed has the rest


def get_incident(conn: sa.Connection, *, workspace_id: int, incident_id: int) -> dict[str, Any] | None:
    """One incident of the workspace, or None."""
    return fetch_one(conn, incidents, incidents.c.workspace_id == workspace_id, incidents.c.id == incident_id)


def get_live_incident(conn: sa.Connection, *, workspace_id: int, dedup_key: str) -> dict[str, Any] | None:
    """The open or acknowledged incident with this dedup key, or None."""
    return fetch_one(
        conn,
        incidents,
        incidents.c.workspace_id == workspace_id,
        incidents.c.dedup_key == dedup_key,
        incidents.c.status != "resolved",
    )


def last_resolved_since(
    conn: sa.Connection, *, workspace_id: int, dedup_key: str, since: datetime
) -> dict[str, Any] | None:
    """The latest incident with this key resolved at or after `since` (a flare-up reopens it), or None."""
    stmt = (
        sa.select(incidents)
        .where(
            incidents.c.workspace_id == workspace_id,
            incidents.c.dedup_key == dedup_key,
            incidents.c.status == "resolved",
            incidents.c.resolved_at >= since,
            sa.or_(incidents.c.resolution.is_(None), incidents.c.resolution != "false_positive"),
        )
        .order_by(incidents.c.resolved_at.desc())
        .limit(1)
    )
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def create_incident(conn: sa.Connection, *, values: dict[str, Any]) -> int | None:
    """Insert an incident; None when a live incident with the same dedup key already exists."""
    try:
        with conn.begin_nested():  # a savepoint: a refused insert must not abort the caller's transaction
            return conn.execute(sa.insert(incidents).values(**values).returning(incidents.c.id)).scalar_one()
    except sa.exc.IntegrityError:
        return None


def update_incident(conn: sa.Connection, *, incident_id: int, values: dict[str, Any]) -> None:
    """Change some fields of an incident."""
    conn.execute(sa.update(incidents).where(incidents.c.id == incident_id).values(**values))


def add_event(
    conn: sa.Connection,
    *,
    incident_id: int,
    type: str,
    at: datetime,
    severity: str,
    score: int,
    actor: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the incident's timeline."""
    row = {"incident_id": incident_id, "type": type, "at": at, "severity": severity, "score": score}
    conn.execute(sa.insert(incident_events).values(**row, actor=actor, detail=detail or {}))


def link_mentions(conn: sa.Connection, *, incident_id: int, mention_ids: list[int]) -> None:
    """Make these (most important first) the incident's contributing mentions."""
    conn.execute(sa.delete(incident_mentions).where(incident_mentions.c.incident_id == incident_id))
    rows = [
        {"incident_id": incident_id, "mention_id": m, "rank": rank}
        for rank, m in enumerate(dict.fromkeys(mention_ids[:MAX_LINKED_MENTIONS]))
    ]
    if rows:
        conn.execute(sa.insert(incident_mentions), rows)


def list_events(conn: sa.Connection, *, incident_id: int) -> list[dict[str, Any]]:
    """The incident's timeline, oldest first."""
    stmt = sa.select(incident_events).where(incident_events.c.incident_id == incident_id).order_by(incident_events.c.id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def list_incident_mentions(conn: sa.Connection, *, incident_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """The contributing mentions, most important first (the first `limit` of them)."""
    stmt = (
        sa.select(mentions)
        .join(incident_mentions, incident_mentions.c.mention_id == mentions.c.id)
        .where(incident_mentions.c.incident_id == incident_id)
        .order_by(incident_mentions.c.rank)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


@dataclass(slots=True)
class IncidentFilter:
    """Filters of the alert feed; None means no filter."""

    status: str | None = None
    severity: str | None = None
    brand_id: int | None = None
    kind: str | None = None
    since: datetime | None = None


def list_incidents(
    conn: sa.Connection,
    *,
    workspace_id: int,
    filters: IncidentFilter,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[dict[str, Any]]:
    """Incidents newest first (opened_at, id), strictly after the keyset cursor `after` when given."""
    stmt = sa.select(incidents, brands.c.name.label("brand_name")).outerjoin(
        brands, brands.c.id == incidents.c.brand_id
    )
    stmt = stmt.where(incidents.c.workspace_id == workspace_id)
    for column, value in (
        (incidents.c.status, filters.status),
        (incidents.c.severity, filters.severity),
        (incidents.c.brand_id, filters.brand_id),
        (incidents.c.kind, filters.kind),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.since is not None:
        stmt = stmt.where(incidents.c.opened_at >= filters.since)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(  # `opened_at <= at`: a bound the index seeks to (see storage.mentions.list_mentions)
            incidents.c.opened_at <= at,
            sa.or_(incidents.c.opened_at < at, sa.and_(incidents.c.opened_at == at, incidents.c.id < last_id)),
        )
    stmt = stmt.order_by(incidents.c.opened_at.desc(), incidents.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def incident_periods(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Periods of the brand's past and live incidents (false positives excluded), to keep out of baselines."""
    stmt = sa.select(incidents.c.window_start, incidents.c.resolved_at).where(
        incidents.c.workspace_id == workspace_id,
        incidents.c.brand_id == brand_id,
        sa.or_(incidents.c.resolved_at.is_(None), incidents.c.resolved_at >= since),
        sa.or_(incidents.c.resolution.is_(None), incidents.c.resolution != "false_positive"),
    )
    return [(start, end or now) for start, end in conn.execute(stmt)]


def live_incidents(conn: sa.Connection, *, workspace_id: int, brand_id: int) -> list[dict[str, Any]]:
    """The brand's open and acknowledged incidents."""
    stmt = sa.select(incidents).where(
        incidents.c.workspace_id == workspace_id, incidents.c.brand_id == brand_id, incidents.c.status != "resolved"
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def lock_brand_for_detection(conn: sa.Connection, *, brand_id: int) -> bool:
    """Take the brand's row lock for this transaction (PostgreSQL), so that two alert workers never evaluate
    the same brand at once; False when another worker holds it. SQLite write transactions are already serial."""
    if conn.dialect.name != "postgresql":
        return True
    stmt = sa.select(brands.c.id).where(brands.c.id == brand_id).with_for_update(skip_locked=True)
    return conn.execute(stmt).first() is not None


def lock_incident_for_routing(conn: sa.Connection, *, incident_id: int, skip_locked: bool) -> bool:
    """Take the incident's row lock for this transaction (PostgreSQL), so that two workers never plan its routes
    at once (each would read the same notification log and page again); with `skip_locked`, False at once
    when another transaction holds it. SQLite write transactions are already serial."""
    if conn.dialect.name != "postgresql":
        return True
    stmt = sa.select(incidents.c.id).where(incidents.c.id == incident_id).with_for_update(skip_locked=skip_locked)
    return conn.execute(stmt).first() is not None


def live_incident_ids(conn: sa.Connection, *, workspace_id: int) -> list[int]:
    """The workspace's open and acknowledged incidents, oldest first."""
    stmt = sa.select(incidents.c.id).where(incidents.c.workspace_id == workspace_id, incidents.c.status != "resolved")
    return list(conn.execute(stmt.order_by(incidents.c.id)).scalars())


def latest_incident(conn: sa.Connection, *, workspace_id: int, dedup_key: str) -> dict[str, Any] | None:
    """The most recent incident with this dedup key (live or just resolved), or None."""
    stmt = (
        sa.select(incidents)
        .where(incidents.c.workspace_id == workspace_id, incidents.c.dedup_key == dedup_key)
        .order_by(incidents.c.id.desc())
        .limit(1)
    )
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def get_incident_any(conn: sa.Connection, *, incident_id: int) -> dict[str, Any] | None:
    """An incident whatever its workspace (a signed acknowledge link names it), or None."""
    return fetch_one(conn, incidents, incidents.c.id == incident_id)


def incidents_opened_between(
    conn: sa.Connection, *, workspace_id: int, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Incidents opened in [since, until), with their brand's name, highest severity first."""
    stmt = (
        sa.select(incidents, brands.c.name.label("brand_name"))
        .outerjoin(brands, brands.c.id == incidents.c.brand_id)
        .where(incidents.c.workspace_id == workspace_id, incidents.c.opened_at >= since, incidents.c.opened_at < until)
        .order_by(incidents.c.peak_score.desc(), incidents.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def count_resolved_between(conn: sa.Connection, *, workspace_id: int, since: datetime, until: datetime) -> int:
    """How many incidents were resolved in [since, until)."""
    stmt = sa.select(sa.func.count()).where(
        incidents.c.workspace_id == workspace_id, incidents.c.resolved_at >= since, incidents.c.resolved_at < until
    )
    return conn.execute(stmt).scalar_one()
