"""Making a report: read a period and the one before it from the storage layer, assemble the figures, render the
page, store both. A scheduled report is stored once per workspace and period, whatever the number of workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from app import stats
from app.reports import period as periods
from app.reports.figures import PeriodFacts, ReportFacts, assemble_report
from app.reports.render import render_report_html
from app.reports.words import lang_of
from app.storage import reports as store
from app.storage import stats as stats_store
from app.storage.workspaces import get_workspace_by_id

Trigger = Literal["schedule", "demand"]
TOP_MENTIONS = 5


def zone_of(workspace: dict[str, Any]) -> ZoneInfo:
    """The workspace's time zone (UTC if its name is unknown to this machine)."""
    try:
        return ZoneInfo(workspace["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _period_facts(
    conn: sa.Connection, workspace_id: int, since: datetime, until: datetime, tz: ZoneInfo
) -> PeriodFacts:
    bounds = stats.bucket_bounds(since, until, "day", tz)
    return PeriodFacts(
        since=since,
        until=until,
        bounds=bounds,
        cells=stats_store.range_cells(conn, workspace_id=workspace_id, since=since, until=until, bounds=bounds)[0],
        incidents=stats_store.incidents_for_response(conn, workspace_id=workspace_id, since=since, until=until),
    )


def read_facts(
    conn: sa.Connection,
    *,
    workspace: dict[str, Any],
    since: datetime,
    until: datetime,
    trigger: Trigger,
    now: datetime,
    language: str | None = None,
) -> ReportFacts:
    """Everything the report of [since, until) shows, and the previous period of the same length."""
    tz, workspace_id = zone_of(workspace), workspace["id"]
    brands = stats_store.workspace_brands(conn, workspace_id=workspace_id)
    where = {"workspace_id": workspace_id, "since": since, "until": until}
    own = [b for b in brands if not b["is_competitor"]]
    return ReportFacts(
        workspace=workspace,
        language=lang_of(language or workspace["language"]),
        trigger=trigger,
        tz=tz,
        current=_period_facts(conn, workspace_id, since, until, tz),
        previous=_period_facts(conn, workspace_id, *periods.previous_period(since, until, tz), tz),
        brands=brands,
        made_at=now,
        terms={b["id"]: stats_store.mention_terms(conn, brand_id=b["id"], **where) for b in own},
        mentions={b["id"]: store.riskiest_mentions(conn, brand_id=b["id"], limit=TOP_MENTIONS, **where) for b in own},
    )


def build_report(
    conn: sa.Connection,
    *,
    workspace_id: int,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    trigger: Trigger = "demand",
    language: str | None = None,
) -> tuple[dict[str, Any], str]:
    """The figures (JSON) and the page (HTML) of a report, without storing them. The period defaults to the last
    full local week (Monday 00:00 to Monday 00:00); raises PeriodError for a period it refuses, LookupError for
    an unknown workspace."""
    workspace = get_workspace_by_id(conn, workspace_id=workspace_id)
    if workspace is None:
        raise LookupError(f"no workspace with id {workspace_id}")
    if since is None or until is None:
        week = periods.last_full_week(now, zone_of(workspace))
        since, until = since or week[0], until or week[1]
    periods.check_period(since, until)
    facts = read_facts(conn, workspace=workspace, since=since, until=until, trigger=trigger, now=now, language=language)
    data = assemble_report(facts)
    return data, render_report_html(data)


def store_report(
    conn: sa.Connection,
    *,
    workspace_id: int,
    data: dict[str, Any],
    html: str,
    trigger: Trigger,
    now: datetime,
    email: bool | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store a built report; returns the stored row and whether this call stored it (False: the scheduled
    report of that period was already there, stored by another worker, and is returned instead)."""
    start = datetime.fromisoformat(data["period"]["start"])
    values = {
        "workspace_id": workspace_id,
        "period_start": start,
        "period_end": datetime.fromisoformat(data["period"]["end"]),
        "trigger": trigger,
        "language": data["language"],
        "data": data,
        "html": html,
        "created_at": now,
        "email_due_at": now if (trigger == "schedule" if email is None else email) else None,
    }
    report_id = store.insert_report(conn, values=values)
    created = report_id is not None
    if report_id is None:
        report_id = store.scheduled_report_id(conn, workspace_id=workspace_id, period_start=start)
    return store.get_report(conn, workspace_id=workspace_id, report_id=report_id), created  # type: ignore[arg-type,return-value]


def create_report(
    conn: sa.Connection,
    *,
    workspace_id: int,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    trigger: Trigger = "demand",
    language: str | None = None,
    email: bool | None = None,
) -> dict[str, Any]:
    """Make and store a report; returns the stored row (id, period, data, html, ...). `email` (default: scheduled
    reports only) asks the alert role to mail it to the workspace's e-mail channels. A scheduled report whose
    period another worker stored first is not stored twice: the stored one is returned."""
    data, html = build_report(
        conn, workspace_id=workspace_id, now=now, since=since, until=until, trigger=trigger, language=language
    )
    row, _ = store_report(conn, workspace_id=workspace_id, data=data, html=html, trigger=trigger, now=now, email=email)
    return row
