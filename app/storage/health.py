"""What the health page reads: deliveries that failed or are being retried, and each source's recent runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import brands, channels, deliveries, incidents, source_runs, sources


def troubled_deliveries(conn: sa.Connection, *, workspace_id: int, limit: int) -> list[dict[str, Any]]:
    """Dead deliveries and pending ones already tried (retrying), the last changed first, with their channel
    (name, kind, enabled) and incident (kind, severity, brand name). Never the channel's secrets."""
    troubled = sa.or_(
        deliveries.c.status == "dead", sa.and_(deliveries.c.status == "pending", deliveries.c.attempts > 0)
    )
    stmt = (
        sa.select(
            deliveries.c.id,
            deliveries.c.message_id,
            deliveries.c.incident_id,
            deliveries.c.channel_id,
            deliveries.c.event,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.due_at,
            deliveries.c.last_status_code,
            deliveries.c.last_error,
            deliveries.c.updated_at,
            channels.c.name.label("channel_name"),
            channels.c.kind.label("channel_kind"),
            channels.c.enabled.label("channel_enabled"),
            incidents.c.kind.label("incident_kind"),
            incidents.c.severity.label("incident_severity"),
            brands.c.name.label("brand_name"),
        )
        .join(channels, channels.c.id == deliveries.c.channel_id)
        .outerjoin(incidents, incidents.c.id == deliveries.c.incident_id)
        .outerjoin(brands, brands.c.id == incidents.c.brand_id)
        .where(deliveries.c.workspace_id == workspace_id, troubled)
        .order_by(deliveries.c.updated_at.desc(), deliveries.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def source_run_counts(conn: sa.Connection, *, workspace_id: int, since: datetime) -> dict[int, dict[str, int]]:
    """Per source of the workspace, its runs started at or after `since`: how many, the new mentions they
    stored, and how many ended in an error. Sources without a run are absent."""
    errors = sa.func.sum(sa.case((source_runs.c.status == "error", 1), else_=0))
    stmt = (
        sa.select(
            source_runs.c.source_id,
            sa.func.count().label("runs"),
            sa.func.coalesce(sa.func.sum(source_runs.c.new_count), 0).label("new"),
            errors.label("errors"),
        )
        .join(sources, sources.c.id == source_runs.c.source_id)
        .where(sources.c.workspace_id == workspace_id, source_runs.c.started_at >= since)
        .group_by(source_runs.c.source_id)
    )
    return {
        row.source_id: {"runs": int(row.runs), "new": int(row.new), "errors": int(row.errors or 0)}
        for row in conn.execute(stmt)
    }
