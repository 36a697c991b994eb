"""The alert role's clock job for weekly reports: once a workspace's local time passes the weekly slot
(VIGIE_REPORT_WEEKDAY at VIGIE_REPORT_HOUR), make the report of the seven days just ended, store it once (the
unique index on scheduled reports decides between workers), and mail the reports that are due (app.reports.mail).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import reading, writing
from app.db.schema import utcnow
from app.reports.mail import send_due_report_emails
from app.reports.make import build_report, store_report, zone_of
from app.reports.period import WEEKDAYS, due_week
from app.settings import Settings
from app.storage.reports import scheduled_report_id
from app.storage.workspaces import list_workspaces

log = logging.getLogger(__name__)


def make_scheduled_reports(engine: sa.Engine, settings: Settings, *, now: datetime) -> list[int]:
    """Make the weekly reports due at `now` that are not made yet; returns the ids this call stored. A workspace
    created after a week ended gets no report of that week (a first start mid-week sends nothing stale)."""
    if settings.report_weekday == "off":
        return []
    weekday = WEEKDAYS.index(settings.report_weekday)
    with reading(engine) as conn:
        workspaces = list_workspaces(conn)
    made = []
    for workspace in workspaces:
        since, until = due_week(now, zone_of(workspace), weekday=weekday, hour=settings.report_hour)
        if workspace["created_at"] >= until:
            continue
        try:
            report_id = _make_once(engine, workspace, since, until, now)
        except Exception:  # one workspace's failure must not hold the others' reports back; retried next tick
            log.exception("weekly report failed", extra={"workspace": workspace["name"]})
            continue
        if report_id is not None:
            made.append(report_id)
            log.info("weekly report made", extra={"workspace": workspace["name"], "report_id": report_id})
    return made


def _make_once(
    engine: sa.Engine, workspace: dict[str, Any], since: datetime, until: datetime, now: datetime
) -> int | None:
    """The id of the scheduled report this call stored, or None (already there)."""
    # Built in a read transaction, stored in a short write one: on SQLite, a write lock held while the report is
    # read and rendered would stall ingestion.
    with reading(engine) as conn:
        if scheduled_report_id(conn, workspace_id=workspace["id"], period_start=since) is not None:
            return None
        data, html = build_report(conn, workspace_id=workspace["id"], now=now, since=since, until=until,
                                  trigger="schedule")  # fmt: skip
    with writing(engine) as conn:
        row, created = store_report(conn, workspace_id=workspace["id"], data=data, html=html, trigger="schedule",
                                    now=now)  # fmt: skip
    return row["id"] if created else None


class ReportWorker:
    """Makes the weekly reports when their slot comes, and mails the due ones (retrying failed sends later)."""

    def __init__(self, engine: sa.Engine, settings: Settings):
        self.engine, self.settings = engine, settings

    def tick(self, now: datetime | None = None) -> int:
        """Make what is due and send what is due; returns how many reports this tick made."""
        now = now or utcnow()
        made = make_scheduled_reports(self.engine, self.settings, now=now)
        send_due_report_emails(self.engine, self.settings, now=now)
        return len(made)
