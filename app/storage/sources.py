"""Sources: what to fetch, when it is due, who holds its lease, and how its last fetches went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db.schema import source_runs, sources, utcnow
from app.storage import fetch_all, fetch_one
from app.storage.rollups import rebuild_rollups, source_span

SOURCE_FIELDS = ("name", "kind", "url", "params", "interval_seconds", "enabled")


def list_sources(conn: sa.Connection, *, workspace_id: int) -> list[dict[str, Any]]:
    """Every source of the workspace, by id."""
    return fetch_all(conn, sources, sources.c.workspace_id == workspace_id)


def get_source(conn: sa.Connection, *, workspace_id: int, source_id: int) -> dict[str, Any] | None:
    """One source of the workspace, or None."""
    return fetch_one(conn, sources, sources.c.workspace_id == workspace_id, sources.c.id == source_id)


def get_source_by_name(conn: sa.Connection, *, workspace_id: int, name: str) -> dict[str, Any] | None:
    """The source called `name` in the workspace, or None."""
    return fetch_one(conn, sources, sources.c.workspace_id == workspace_id, sources.c.name == name)


def create_source(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a source, due at once, and return it."""
    now = utcnow()
    row = {k: values[k] for k in SOURCE_FIELDS if k in values}
    row.setdefault("params", {})
    stmt = sa.insert(sources).values(
        workspace_id=workspace_id, due_at=now, cursor={}, created_at=now, updated_at=now, **row
    )
    source_id = conn.execute(stmt.returning(sources.c.id)).scalar_one()
    return get_source(conn, workspace_id=workspace_id, source_id=source_id)  # type: ignore[return-value]


def update_source(
    conn: sa.Connection, *, workspace_id: int, source_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Change some fields of a source; a changed URL or kind forgets the conditional-GET state."""
    changes = {k: values[k] for k in SOURCE_FIELDS if k in values}
    current = get_source(conn, workspace_id=workspace_id, source_id=source_id)
    if current is None or not changes:
        return current
    if any(k in changes and changes[k] != current[k] for k in ("url", "kind", "params")):
        changes.update(etag=None, last_modified=None, cursor={}, due_at=utcnow(), consecutive_errors=0)
    stmt = sa.update(sources).where(sources.c.workspace_id == workspace_id, sources.c.id == source_id)
    conn.execute(stmt.values(updated_at=utcnow(), **changes))
    return get_source(conn, workspace_id=workspace_id, source_id=source_id)


def delete_source(conn: sa.Connection, *, workspace_id: int, source_id: int) -> bool:
    """Delete a source with its runs and mentions, and recount the rollups they were in; False when it did not exist."""
    brand_ids, first, last = source_span(conn, source_id=source_id)
    stmt = sa.delete(sources).where(sources.c.workspace_id == workspace_id, sources.c.id == source_id)
    if conn.execute(stmt).rowcount == 0:
        return False
    if first is not None and last is not None:
        for brand_id in sorted(brand_ids):
            rebuild_rollups(conn, brand_id=brand_id, since=first, until=last + timedelta(microseconds=1))
    return True


def mark_source_due(conn: sa.Connection, *, workspace_id: int, source_id: int) -> dict[str, Any] | None:
    """Make a source due now (manual refresh); the next collecting tick picks it up."""
    stmt = sa.update(sources).where(sources.c.workspace_id == workspace_id, sources.c.id == source_id)
    conn.execute(stmt.values(due_at=utcnow()))
    return get_source(conn, workspace_id=workspace_id, source_id=source_id)


def claim_due_sources(
    conn: sa.Connection, *, owner: str, limit: int, lease_seconds: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Lease up to `limit` due sources to `owner`, oldest due first, skipping those leased to others.

    On PostgreSQL the SELECT takes row locks with SKIP LOCKED, so concurrent claimers pick disjoint rows.
    On SQLite the caller's transaction is BEGIN IMMEDIATE (see app.db.writing): claims are serialised.
    """
    now = now or utcnow()
    due = (
        sa.select(sources.c.id)
        .where(
            sources.c.enabled.is_(True),
            sources.c.due_at <= now,
            sa.or_(sources.c.lease_until.is_(None), sources.c.lease_until < now),
        )
        .order_by(sources.c.due_at, sources.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    lease = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds)}
    conn.execute(sa.update(sources).where(sources.c.id.in_(ids)).values(**lease))
    rows = conn.execute(sa.select(sources).where(sources.c.id.in_(ids)).order_by(sources.c.due_at))
    return [dict(r) for r in rows.mappings()]


@dataclass(slots=True)
class RunReport:
    """What one collection of a source did, for the source's health and its run log."""

    started_at: datetime
    duration_ms: int
    status: str  # ok | not_modified | partial | error | deferred (host paced: nothing asked, no health change)
    http_status: int | None = None
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    unmatched: int = 0
    error: str | None = None


def finish_source_run(
    conn: sa.Connection,
    *,
    source_id: int,
    owner: str,
    report: RunReport,
    next_due_at: datetime,
    state: dict[str, Any],
) -> bool:
    """Record the run, store the conditional-GET state and release the lease; False if the lease was lost."""
    health: dict[str, Any] = {"last_status": report.status}
    if report.status == "deferred":
        health = {}
    elif report.status == "error":
        health.update(consecutive_errors=sources.c.consecutive_errors + 1)
    else:
        health.update(consecutive_errors=0, last_success_at=utcnow())
    if report.error and report.status != "deferred":
        health.update(last_error=report.error, last_error_at=utcnow())
    stmt = (
        sa.update(sources)
        .where(sources.c.id == source_id, sources.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None, due_at=next_due_at, **state, **health)
    )
    released = conn.execute(stmt).rowcount > 0
    conn.execute(
        sa.insert(source_runs).values(
            source_id=source_id,
            worker=owner,
            started_at=report.started_at,
            duration_ms=report.duration_ms,
            status=report.status,
            http_status=report.http_status,
            fetched_count=report.fetched,
            new_count=report.new,
            duplicate_count=report.duplicate,
            unmatched_count=report.unmatched,
            error=report.error,
        )
    )
    return released


def list_source_runs(conn: sa.Connection, *, source_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs of a source, newest first."""
    stmt = (
        sa.select(source_runs)
        .where(source_runs.c.source_id == source_id)
        .order_by(source_runs.c.started_at.desc(), source_runs.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def ensure_internal_source(conn: sa.Connection, *, workspace_id: int, kind: str) -> dict[str, Any]:
    """The workspace's built-in source for pushed (`api`) or imported (`import`) mentions, never due."""
    name = {"api": "Pushed through the API", "import": "Imported files"}[kind]
    found = get_source_by_name(conn, workspace_id=workspace_id, name=name)
    if found:
        return found
    values = {"name": name, "kind": kind, "url": None, "params": {}, "interval_seconds": 0, "enabled": False}
    return create_source(conn, workspace_id=workspace_id, values=values)


def source_names(conn: sa.Connection, *, workspace_id: int) -> dict[int, str]:
    """Source id -> name, for summaries and messages."""
    stmt = sa.select(sources.c.id, sources.c.name).where(sources.c.workspace_id == workspace_id)
    return {row.id: row.name for row in conn.execute(stmt)}
