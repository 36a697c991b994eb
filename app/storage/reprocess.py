"""Reprocess jobs in the database: create, claim with a lease, record progress, list. Plain SQL, no policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db.schema import mention_brands, mentions, reprocess_jobs

ACTIVE = ("queued", "running")


def create_job(
    conn: sa.Connection,
    *,
    workspace_id: int,
    brand_id: int | None,
    rematch: bool,
    rescore: bool,
    since: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Queue a job; its `total` is the number of mentions it will look at, counted now."""
    total = conn.execute(
        sa.select(sa.func.count()).select_from(mentions).where(*_scope(workspace_id, brand_id, since, rematch))
    ).scalar_one()
    values = dict(
        workspace_id=workspace_id,
        brand_id=brand_id,
        rematch=rematch,
        rescore=rescore,
        since=since,
        status="queued",
        total=total,
        created_at=now,
    )
    return dict(conn.execute(sa.insert(reprocess_jobs).values(**values).returning(reprocess_jobs)).mappings().one())


def _scope(workspace_id: int, brand_id: int | None, since: datetime | None, rematch: bool) -> list[Any]:
    where: list[Any] = [mentions.c.workspace_id == workspace_id]
    if since is not None:
        where.append(mentions.c.published_at >= since)
    if brand_id is not None and not rematch:
        # Re-scoring one brand looks at its mentions; re-matching one brand must look at every stored mention,
        # since a changed query may now match mentions that were stored for another brand.
        linked = sa.select(mention_brands.c.mention_id).where(mention_brands.c.brand_id == brand_id)
        where.append(mentions.c.id.in_(linked))
    return where


def next_mentions(conn: sa.Connection, job: dict[str, Any], *, limit: int) -> list[dict[str, Any]]:
    """The job's next batch of mentions, by id after `last_mention_id`."""
    stmt = (
        sa.select(mentions)
        .where(
            *_scope(job["workspace_id"], job["brand_id"], job["since"], job["rematch"]),
            mentions.c.id > job["last_mention_id"],
        )
        .order_by(mentions.c.id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def claim_job(conn: sa.Connection, *, owner: str, lease_seconds: float, now: datetime) -> dict[str, Any] | None:
    """Lease the oldest queued job, or a running one whose worker's lease expired; None when there is none."""
    stmt = (
        sa.select(reprocess_jobs.c.id)
        .where(
            reprocess_jobs.c.status.in_(ACTIVE),
            sa.or_(reprocess_jobs.c.lease_until.is_(None), reprocess_jobs.c.lease_until < now),
        )
        .order_by(reprocess_jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job_id = conn.execute(stmt).scalar()
    if job_id is None:
        return None
    lease = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds), "status": "running"}
    conn.execute(sa.update(reprocess_jobs).where(reprocess_jobs.c.id == job_id).values(**lease))
    row = conn.execute(sa.select(reprocess_jobs).where(reprocess_jobs.c.id == job_id)).mappings().one()
    if row["started_at"] is None:
        conn.execute(sa.update(reprocess_jobs).where(reprocess_jobs.c.id == job_id).values(started_at=now))
    return dict(row)


def record_progress(conn: sa.Connection, *, job_id: int, owner: str, values: dict[str, Any]) -> bool:
    """Update the job if `owner` still holds it; False when the lease was lost or the job was cancelled."""
    stmt = sa.update(reprocess_jobs).where(
        reprocess_jobs.c.id == job_id, reprocess_jobs.c.lease_owner == owner, reprocess_jobs.c.status == "running"
    )
    return conn.execute(stmt.values(**values)).rowcount > 0


def get_job(conn: sa.Connection, *, workspace_id: int, job_id: int) -> dict[str, Any] | None:
    """One job of the workspace."""
    stmt = sa.select(reprocess_jobs).where(reprocess_jobs.c.id == job_id, reprocess_jobs.c.workspace_id == workspace_id)
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def list_jobs(conn: sa.Connection, *, workspace_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The workspace's jobs, newest first."""
    stmt = (
        sa.select(reprocess_jobs)
        .where(reprocess_jobs.c.workspace_id == workspace_id)
        .order_by(reprocess_jobs.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def cancel_job(conn: sa.Connection, *, workspace_id: int, job_id: int, now: datetime) -> bool:
    """Cancel a queued or running job (a batch under way finishes; nothing after it runs)."""
    stmt = sa.update(reprocess_jobs).where(
        reprocess_jobs.c.id == job_id,
        reprocess_jobs.c.workspace_id == workspace_id,
        reprocess_jobs.c.status.in_(ACTIVE),
    )
    done = stmt.values(status="cancelled", finished_at=now, lease_owner=None, lease_until=None)
    return conn.execute(done).rowcount > 0
