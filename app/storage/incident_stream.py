"""Reads of the live alert stream: the incident timeline in id order (see app.incident_stream for why)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import brands, incident_events, incidents
from app.incident_stream import Snapshot


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """Filters of a stream; None means no filter. `severities` are those of the event."""

    brand_id: int | None = None
    severities: tuple[str, ...] | None = None
    kind: str | None = None


def last_event_id(conn: sa.Connection) -> int:
    """The highest event id of every workspace (0 when there is none): a stream without a resume point starts here."""
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(incident_events.c.id), 0))).scalar_one()


def event_id_before(conn: sa.Connection, *, since: datetime) -> int:
    """The id just before the first event at or after `since` (the latest id when there is none)."""
    first = conn.execute(sa.select(sa.func.min(incident_events.c.id)).where(incident_events.c.at >= since)).scalar()
    return first - 1 if first is not None else last_event_id(conn)


def event_ids_after(conn: sa.Connection, *, after: int, limit: int) -> tuple[list[int], Snapshot | None]:
    """Committed event ids of every workspace above `after`, ascending, and on PostgreSQL the snapshot they were
    read in (one statement, so one snapshot: a gap in these ids was in flight or dead as of that very snapshot)."""
    stmt = sa.select(incident_events.c.id).where(incident_events.c.id > after).order_by(incident_events.c.id)
    if conn.dialect.name != "postgresql":
        return list(conn.execute(stmt.limit(limit)).scalars()), None
    snapshot = sa.func.pg_current_snapshot()
    stmt = stmt.add_columns(
        sa.cast(sa.cast(sa.func.pg_snapshot_xmin(snapshot), sa.Text), sa.BigInteger),
        sa.cast(sa.cast(sa.func.pg_snapshot_xmax(snapshot), sa.Text), sa.BigInteger),
    )
    rows = conn.execute(stmt.limit(limit)).all()
    return [r[0] for r in rows], Snapshot(xmin=rows[0][1], xmax=rows[0][2]) if rows else None


def workspace_events(
    conn: sa.Connection, *, workspace_id: int, after: int, upto: int, filters: StreamFilter
) -> list[dict[str, Any]]:
    """The workspace's events with ids in (after, upto], ascending, each with its incident as it is now."""
    stmt = (
        sa.select(
            incident_events.c.id,
            incident_events.c.at,
            incident_events.c.type,
            incident_events.c.severity,
            incident_events.c.score,
            incident_events.c.actor,
            incidents.c.id.label("incident_id"),
            incidents.c.brand_id,
            brands.c.name.label("brand_name"),
            incidents.c.kind,
            incidents.c.status.label("incident_status"),
            incidents.c.severity.label("incident_severity"),
            incidents.c.score.label("incident_score"),
            incidents.c.explanation,
        )
        .join(incidents, incidents.c.id == incident_events.c.incident_id)
        .outerjoin(brands, brands.c.id == incidents.c.brand_id)
        .where(incidents.c.workspace_id == workspace_id, incident_events.c.id > after, incident_events.c.id <= upto)
        .order_by(incident_events.c.id)
    )
    if filters.brand_id is not None:
        stmt = stmt.where(incidents.c.brand_id == filters.brand_id)
    if filters.severities is not None:
        stmt = stmt.where(incident_events.c.severity.in_(filters.severities))
    if filters.kind is not None:
        stmt = stmt.where(incidents.c.kind == filters.kind)
    return [dict(r) for r in conn.execute(stmt).mappings()]
