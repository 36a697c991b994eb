"""Reports: what a report reads beyond app.storage.stats (the riskiest mentions), and the stored reports
with their e-mail state (due time, lease, channels already sent to), claimed like the outbox's deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db.schema import mention_brands, mentions, reports, sources
from app.storage import fetch_one

LISTED = [c for c in reports.c if c.name not in ("html", "data")]


def riskiest_mentions(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """The brand's mentions published in [since, until) with the highest risk (then the newest)."""
    stmt = (
        sa.select(
            mentions.c.id,
            mentions.c.title,
            mentions.c.text,
            mentions.c.url,
            mentions.c.author,
            mentions.c.risk,
            sa.func.coalesce(mentions.c.sentiment_manual, mentions.c.sentiment_label).label("sentiment"),
            mentions.c.published_at,
            sources.c.name.label("source_name"),
        )
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .outerjoin(sources, sources.c.id == mentions.c.source_id)
        .where(
            mentions.c.workspace_id == workspace_id,
            mention_brands.c.brand_id == brand_id,
            mentions.c.published_at >= since,
            mentions.c.published_at < until,
            mentions.c.risk > 0,
        )
        .order_by(mentions.c.risk.desc(), mentions.c.published_at.desc(), mentions.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def scheduled_report_id(conn: sa.Connection, *, workspace_id: int, period_start: datetime) -> int | None:
    """The id of the scheduled report of this period, or None when it is not made yet."""
    stmt = sa.select(reports.c.id).where(
        reports.c.workspace_id == workspace_id, reports.c.period_start == period_start, reports.c.trigger == "schedule"
    )
    return conn.execute(stmt).scalar()


def insert_report(conn: sa.Connection, *, values: dict[str, Any]) -> int | None:
    """Store a report; None when it is a scheduled one whose period another worker stored first (the unique
    index uq_reports_scheduled decides: ON CONFLICT DO NOTHING, no error, no aborted transaction)."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(reports)
    stmt = insert.values(**values).on_conflict_do_nothing().returning(reports.c.id)
    return conn.execute(stmt).scalar()


def get_report(conn: sa.Connection, *, workspace_id: int, report_id: int) -> dict[str, Any] | None:
    """The report with this id in the workspace (data and page included), or None."""
    return fetch_one(conn, reports, reports.c.id == report_id, reports.c.workspace_id == workspace_id)


def list_reports(
    conn: sa.Connection, *, workspace_id: int, limit: int, before_id: int | None = None
) -> list[dict[str, Any]]:
    """The workspace's reports, newest first, without their data and page."""
    stmt = sa.select(*LISTED).where(reports.c.workspace_id == workspace_id)
    if before_id is not None:
        stmt = stmt.where(reports.c.id < before_id)
    return [dict(r) for r in conn.execute(stmt.order_by(reports.c.id.desc()).limit(limit)).mappings()]


def _sendable(now: datetime) -> list[sa.ColumnElement]:
    return [
        reports.c.emailed_at.is_(None),
        reports.c.email_due_at <= now,
        sa.or_(reports.c.email_lease_until.is_(None), reports.c.email_lease_until < now),
    ]


def claim_report_emails(conn: sa.Connection, *, now: datetime, lease_seconds: float, limit: int = 5) -> list[int]:
    """Lease the reports whose e-mail is due; each id is leased to this caller only."""
    candidates = conn.execute(
        sa.select(reports.c.id).where(*_sendable(now)).order_by(reports.c.email_due_at, reports.c.id).limit(limit)
    ).scalars()
    return [r for r in list(candidates) if claim_report_email(conn, report_id=r, now=now, lease_seconds=lease_seconds)]


def claim_report_email(conn: sa.Connection, *, report_id: int, now: datetime, lease_seconds: float) -> bool:
    """Lease one report's e-mail if it is due and free: a compare-and-set update, so that of two workers racing
    for it, the second finds the lease taken (PostgreSQL re-checks the condition after the first commits; SQLite
    writers take turns) and changes nothing."""
    lease = now + timedelta(seconds=lease_seconds)
    stmt = sa.update(reports).where(reports.c.id == report_id, *_sendable(now)).values(email_lease_until=lease)
    return conn.execute(stmt).rowcount == 1


def get_report_any(conn: sa.Connection, *, report_id: int) -> dict[str, Any] | None:
    """A report by id, whatever its workspace (the worker's view)."""
    return fetch_one(conn, reports, reports.c.id == report_id)


def record_email(
    conn: sa.Connection,
    *,
    report_id: int,
    sent_channels: list[int],
    emailed_at: datetime | None,
    next_due_at: datetime | None,
    error: str | None,
) -> None:
    """After a send: the channels sent to so far, done (`emailed_at`) or due again (`next_due_at`, None: given
    up), the last error; the lease is released."""
    conn.execute(
        sa.update(reports)
        .where(reports.c.id == report_id)
        .values(
            emailed_channels=sorted(set(sent_channels)),
            emailed_at=emailed_at,
            email_due_at=next_due_at,
            email_error=error,
            email_attempts=reports.c.email_attempts + 1,
            email_lease_until=None,
        )
    )


def queue_report_email(conn: sa.Connection, *, workspace_id: int, report_id: int, now: datetime) -> bool:
    """Ask for a report to be (re)sent to the workspace's e-mail channels by the alert role; False: no such report."""
    stmt = (
        sa.update(reports)
        .where(reports.c.id == report_id, reports.c.workspace_id == workspace_id)
        .values(email_due_at=now, emailed_at=None, emailed_channels=[], email_error=None, email_lease_until=None)
    )
    return conn.execute(stmt).rowcount == 1
