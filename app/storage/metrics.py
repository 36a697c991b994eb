"""What /metrics reads: counts the database holds for every process (collectors, alert workers, API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import (
    channels,
    deliveries,
    delivery_attempts,
    incidents,
    mentions,
    source_runs,
    sources,
    workspaces,
)


def source_figures(conn: sa.Connection) -> list[dict[str, Any]]:
    """Per source: mentions stored (whatever their way in: collector, API push, import), runs, failed runs,
    consecutive errors."""
    stored = sa.select(mentions.c.source_id, sa.func.count().label("new")).group_by(mentions.c.source_id).subquery()
    totals = (
        sa.select(
            source_runs.c.source_id,
            sa.func.count().filter(source_runs.c.status == "error").label("errors"),
            sa.func.count().label("runs"),
            sa.func.sum(source_runs.c.duration_ms).label("duration_ms"),
        )
        .group_by(source_runs.c.source_id)
        .subquery()
    )
    stmt = (
        sa.select(
            workspaces.c.name.label("workspace"),
            sources.c.name.label("source"),
            sources.c.kind,
            sources.c.consecutive_errors,
            sa.func.coalesce(stored.c.new, 0).label("new"),
            sa.func.coalesce(totals.c.errors, 0).label("errors"),
            sa.func.coalesce(totals.c.runs, 0).label("runs"),
            sa.func.coalesce(totals.c.duration_ms, 0).label("duration_ms"),
        )
        .join(workspaces, workspaces.c.id == sources.c.workspace_id)
        .outerjoin(stored, stored.c.source_id == sources.c.id)
        .outerjoin(totals, totals.c.source_id == sources.c.id)
        .order_by(sources.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def open_incident_counts(conn: sa.Connection) -> list[dict[str, Any]]:
    """Open and acknowledged incidents by workspace, kind, severity and status."""
    stmt = (
        sa.select(
            workspaces.c.name.label("workspace"),
            incidents.c.kind,
            incidents.c.severity,
            incidents.c.status,
            sa.func.count().label("n"),
        )
        .join(workspaces, workspaces.c.id == incidents.c.workspace_id)
        .where(incidents.c.status != "resolved")
        .group_by(workspaces.c.name, incidents.c.kind, incidents.c.severity, incidents.c.status)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def delivery_counts_by_status(conn: sa.Connection) -> list[dict[str, Any]]:
    """Deliveries by channel kind and status (pending is the outbox backlog; dead are the dead letters)."""
    stmt = (
        sa.select(channels.c.kind, deliveries.c.status, sa.func.count().label("n"))
        .join(channels, channels.c.id == deliveries.c.channel_id)
        .group_by(channels.c.kind, deliveries.c.status)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def attempt_figures(conn: sa.Connection) -> list[dict[str, Any]]:
    """Delivery attempts by channel kind and outcome, with their summed latency."""
    stmt = (
        sa.select(
            channels.c.kind,
            delivery_attempts.c.outcome,
            sa.func.count().label("n"),
            sa.func.sum(delivery_attempts.c.latency_ms).label("latency_ms"),
        )
        .join(deliveries, deliveries.c.id == delivery_attempts.c.delivery_id)
        .join(channels, channels.c.id == deliveries.c.channel_id)
        .group_by(channels.c.kind, delivery_attempts.c.outcome)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def recent_attempt_latencies(conn: sa.Connection, *, since: datetime) -> list[float]:
    """Latencies (ms) of delivery attempts since `since`, for the latency quantiles."""
    stmt = sa.select(delivery_attempts.c.latency_ms).where(delivery_attempts.c.at >= since)
    return [float(v) for v in conn.execute(stmt).scalars()]
