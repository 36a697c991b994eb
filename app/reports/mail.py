"""Mailing a stored report to its workspace's enabled e-mail channels, reliably.

A report to mail carries a due time (`email_due_at`). A worker leases it (a compare-and-set on
`email_lease_until`, so two alert workers never send it together), sends it to each e-mail channel it has not
reached yet over SMTP (alerts.delivery.email's sending and retry classification), then records what happened:
the channels reached (`emailed_channels`), and, once no channel is worth retrying, `emailed_at` (if any was
reached). A temporary failure (4xx, server down, timeout) keeps `emailed_at` NULL and makes the report due again
later (doubling delays, as deliveries do), for the channels not reached only; a permanent refusal (5xx) is said
in `email_error` and not retried on its own. Each channel's mail has a Message-ID of its own, the same on every
attempt, so that a resent report is recognised as the same mail.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from alerts.delivery.email import SendResult, SmtpConfig, send_email
from app.db import reading, writing
from app.reports.render import report_email_message
from app.settings import Settings
from app.storage import reports as store
from app.storage.delivery import list_channels

log = logging.getLogger(__name__)
MIN_LEASE_SECONDS = 600.0  # one SMTP session per channel, each up to VIGIE_DELIVERY_TIMEOUT: leave room


def report_url(settings: Settings, report_id: int) -> str:
    """Where the full report opens (signed in on the web page, or with an API key)."""
    return f"{settings.public_url.rstrip('/')}/api/v1/reports/{report_id}.html?disposition=inline"


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """The SMTP server of the settings, or None when VIGIE_SMTP_HOST is not set."""
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpConfig(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,  # type: ignore[arg-type]
        settings.smtp_username,
        password,
        local_hostname=settings.mail_domain,
    )


def retry_delay(attempts: int, settings: Settings) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling from the base, at most the maximum."""
    seconds = settings.delivery_retry_base_seconds * 2 ** min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(seconds, settings.delivery_retry_max_seconds))


def send_due_report_emails(engine: sa.Engine, settings: Settings, *, now: datetime) -> int:
    """Lease the reports whose e-mail is due and send them; returns how many were sent to every channel."""
    lease = max(settings.delivery_lease_seconds, MIN_LEASE_SECONDS)
    with writing(engine) as conn:
        claimed = store.claim_report_emails(conn, now=now, lease_seconds=lease)
    sent = 0
    for report_id in claimed:
        try:
            sent += send_report_email(engine, settings, report_id=report_id, now=now)
        except Exception:  # e.g. the database went away: the lease expires and a later tick sends it
            log.exception("report e-mail failed", extra={"report_id": report_id})
    return sent


def send_report_email(engine: sa.Engine, settings: Settings, *, report_id: int, now: datetime) -> bool:
    """Send one leased report to the e-mail channels it has not reached yet and record the outcome; True when
    it reached every channel."""
    with reading(engine) as conn:
        report = store.get_report_any(conn, report_id=report_id)
        channels = [c for c in list_channels(conn, workspace_id=report["workspace_id"]) if c["kind"] == "email"]
    sent = set(report["emailed_channels"] or [])
    pending = [c for c in channels if c["enabled"] and c["id"] not in sent]
    if not pending:
        error = None if sent else "no enabled e-mail channel"
        return _record(engine, report, sent, now, finished=True, error=error)
    smtp = smtp_config(settings)
    if smtp is None:
        return _record(engine, report, sent, now, finished=True, error="VIGIE_SMTP_HOST is not set")
    errors, retry = [], False
    for channel in pending:
        result = _send(report, channel, smtp, settings)
        if result.outcome == "delivered":
            sent.add(channel["id"])
        retry = retry or result.outcome == "retry"
        if result.outcome != "delivered":
            errors.append(f"{channel['name']}: {result.error or result.outcome}")
        log.info("report e-mail", extra={"report_id": report_id, "channel": channel["name"], "outcome": result.outcome})
    error = "; ".join(errors)[:1000] or None
    attempts = report["email_attempts"] + 1
    if retry and attempts >= settings.delivery_max_attempts:
        return _record(engine, report, sent, now, finished=True, error=f"gave up after {attempts} attempts: {error}")
    next_due = now + retry_delay(attempts, settings) if retry else None
    return _record(engine, report, sent, now, finished=not retry, error=error, next_due=next_due)


def _send(report: dict[str, Any], channel: dict[str, Any], smtp: SmtpConfig, settings: Settings) -> SendResult:
    recipients = list(channel["config"].get("to") or [])
    if not recipients:
        return SendResult("failed", None, 0.0, "the channel has no recipient")
    msg = report_email_message(
        report["data"],
        report_id=report["id"],
        channel_id=channel["id"],
        sender=settings.smtp_from,
        recipients=recipients,
        domain=settings.mail_domain,
        report_url=report_url(settings, report["id"]),
    )
    return send_email(msg, smtp, timeout=settings.delivery_timeout)


def _record(
    engine: sa.Engine,
    report: dict[str, Any],
    sent: set[int],
    now: datetime,
    *,
    finished: bool,
    error: str | None,
    next_due: datetime | None = None,
) -> bool:
    """Write the outcome: `emailed_at` once finished with at least one channel reached; due again at `next_due`
    (None: nothing more to send); the lease released."""
    if error:
        log.warning("report e-mail not (fully) sent", extra={"report_id": report["id"], "error": error})
    with writing(engine) as conn:
        store.record_email(
            conn,
            report_id=report["id"],
            sent_channels=sorted(sent),
            emailed_at=now if finished and sent else None,
            next_due_at=next_due,
            error=error,
        )
    return finished and bool(sent) and error is None
