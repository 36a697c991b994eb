"""The purge: each workspace's mentions older than its retention are deleted in batches, one transaction each, with
their brand and incident links; a tombstone of their dedup keys stays, and the rollups keep counting them.

Order matters: the workspace's horizon is moved (and committed) before the first batch, so that from then on
recounts and statistics leave the periods before it to the rollups. Any number of processes may purge at once:
batches are claimed with FOR UPDATE SKIP LOCKED (PostgreSQL) or serialised by SQLite's write lock, a mention is
deleted once, and the rollups are never touched, so nothing can be counted twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from app.db import reading, writing
from app.db.schema import utcnow
from app.retention import effective_days, history_days_of, purge_horizon
from app.settings import Settings
from app.storage import retention as store
from app.storage.tombstones import count_expired_tombstones, expire_tombstones

log = logging.getLogger(__name__)

TICK_BUDGET_SECONDS = 60.0  # one tick purges this long at most; the next tick goes on where it stopped


@dataclass(slots=True)
class PurgeReport:
    """What a purge of one workspace deleted (or, dry, would delete)."""

    workspace: str
    days: int | None  # the retention applied; None: forever
    horizon: datetime | None  # mentions published before it are past retention
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("mentions", "brand_links", "incident_links", "incidents"), 0)
    )
    tombstones_expired: int = 0
    finished: bool = True  # False: the time budget ran out first

    def add(self, counts: dict[str, int]) -> None:
        for name, n in counts.items():
            self.counts[name] += n


Policy = tuple[int | None, datetime | None]


def workspace_policy(workspace: dict[str, Any], settings: Settings, now: datetime) -> Policy:
    """The retention a workspace applies (None: forever) and its horizon now (None: nothing to purge)."""
    days = effective_days(
        workspace["retention_days"],
        settings.retention_days,
        history_days=history_days_of(workspace["detection"]),
    )
    return days, None if days is None else purge_horizon(now, days, ZoneInfo(workspace["timezone"]))


def _tombstone_cutoff(settings: Settings, now: datetime) -> datetime | None:
    return None if settings.tombstone_days == 0 else now - timedelta(days=settings.tombstone_days)


def preview_purge(engine: Engine, *, workspace: dict[str, Any], settings: Settings, now: datetime) -> PurgeReport:
    """What `purge_workspace` would delete now, deleting nothing."""
    days, horizon = workspace_policy(workspace, settings, now)
    report = PurgeReport(workspace["name"], days, horizon)
    cutoff = _tombstone_cutoff(settings, now)
    with reading(engine) as conn:
        if horizon is not None:
            report.add(store.count_expired(conn, workspace_id=workspace["id"], before=horizon))
        if cutoff is not None:
            report.tombstones_expired = count_expired_tombstones(conn, workspace_id=workspace["id"], before=cutoff)
    return report


def purge_workspace(
    engine: Engine,
    *,
    workspace: dict[str, Any],
    settings: Settings,
    now: datetime,
    deadline: float | None = None,
) -> PurgeReport:
    """Delete the workspace's mentions past its retention, then its expired tombstones, batch by batch, until none is
    left or `deadline` (time.monotonic()) has passed."""
    days, horizon = workspace_policy(workspace, settings, now)
    report = PurgeReport(workspace["name"], days, horizon)
    workspace_id, batch = workspace["id"], settings.purge_batch_size
    if horizon is not None:
        with writing(engine) as conn:
            store.advance_horizon(conn, workspace_id=workspace_id, horizon=horizon)
        while True:
            if deadline is not None and time.monotonic() > deadline:
                report.finished = False
                return report
            with writing(engine) as conn:
                rows = store.claim_expired(conn, workspace_id=workspace_id, before=horizon, limit=batch)
                counts = store.delete_mentions(conn, workspace_id=workspace_id, rows=rows, now=now)
            report.add(counts)
            if not rows:
                break
    cutoff = _tombstone_cutoff(settings, now)
    while cutoff is not None:
        if deadline is not None and time.monotonic() > deadline:
            report.finished = False
            break
        with writing(engine) as conn:
            expired = expire_tombstones(conn, workspace_id=workspace_id, before=cutoff, limit=batch)
        report.tombstones_expired += expired
        if expired == 0:
            break
    return report


class PurgeWorker:
    """The alert role's purge: each `tick` purges every workspace, for up to TICK_BUDGET_SECONDS."""

    def __init__(self, engine: Engine, settings: Settings, *, budget: float = TICK_BUDGET_SECONDS):
        self.engine = engine
        self.settings = settings
        self.budget = budget

    def tick(self) -> int:
        """Purge what is due; returns the number of mentions deleted."""
        deadline = time.monotonic() + self.budget
        with reading(self.engine) as conn:
            workspaces = store.retention_workspaces(conn)
        deleted = 0
        for workspace in workspaces:
            report = purge_workspace(
                self.engine, workspace=workspace, settings=self.settings, now=utcnow(), deadline=deadline
            )
            deleted += report.counts["mentions"]
            if report.counts["mentions"] or report.tombstones_expired:
                log.info(
                    "purged",
                    extra={
                        "workspace": report.workspace,
                        "horizon": report.horizon.isoformat() if report.horizon else None,
                        **report.counts,
                        "tombstones_expired": report.tombstones_expired,
                        "finished": report.finished,
                    },
                )
            if not report.finished:
                break
        return deleted
