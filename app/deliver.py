"""The deliver stage: claim due deliveries from the outbox, send each through its channel, record the attempt.

At least once: a delivery is leased before it is sent and finished after; a worker killed in between leaves
the lease to expire, and another worker sends it again with the same message id (webhook-id). Retries back
off with jitter and honour Retry-After; 410 disables the channel; other 4xx fail at once (dead letter,
visible in GET /api/v1/deliveries, `redeliver` puts them back).
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from alerts.delivery.digest import (
    Digest,
    build_digest_request,
    digest_from_dict,
    render_digest_email,
    render_digest_slack,
)
from alerts.delivery.email import SmtpConfig, render_email, send_email
from alerts.delivery.http import post
from alerts.delivery.message import IncidentMessage
from alerts.delivery.outcome import Attempt, next_retry_delay
from alerts.delivery.slack import render_slack
from alerts.delivery.webhook import build_request
from app.alerting import signing_secrets
from app.db import reading, writing
from app.db.schema import utcnow
from app.messages import message_from_dict, new_message_id
from app.netguard import check_public_url
from app.samples import sample_message
from app.settings import Settings
from app.storage import delivery as store

log = logging.getLogger(__name__)
BATCH = 20


def send(
    channel: dict[str, Any], message: IncidentMessage, *, settings: Settings, client: httpx.Client, now: datetime
) -> Attempt:
    """Send one message through one channel; never raises for delivery errors."""
    kind, secrets = channel["kind"], channel["secrets"]

    def guard(url: str) -> None:
        check_public_url(url, allow_private=settings.allow_private_urls)

    if kind == "webhook":
        signing = signing_secrets(channel, now)
        body, headers = build_request(message, signing, now)
        return post(client, secrets["url"], body, headers, check_url=guard, secrets=signing)
    if kind == "slack":
        body = json.dumps(render_slack(message), ensure_ascii=False).encode("utf-8")
        return post(client, secrets["url"], body, {"content-type": "application/json"}, check_url=guard)
    return _send_email(channel, message, settings)


def send_digest(
    channel: dict[str, Any], digest: Digest, *, settings: Settings, client: httpx.Client, now: datetime
) -> Attempt:
    """Send the daily digest through one channel; never raises for delivery errors."""

    def guard(url: str) -> None:
        check_public_url(url, allow_private=settings.allow_private_urls)

    if channel["kind"] == "webhook":
        signing = signing_secrets(channel, now)
        body, headers = build_digest_request(digest, signing, now)
        return post(client, channel["secrets"]["url"], body, headers, check_url=guard, secrets=signing)
    if channel["kind"] == "slack":
        body = json.dumps(render_digest_slack(digest), ensure_ascii=False).encode("utf-8")
        return post(client, channel["secrets"]["url"], body, {"content-type": "application/json"}, check_url=guard)
    recipients = channel["config"]["to"]
    return _mail(
        render_digest_email(digest, sender=settings.smtp_from, recipients=recipients, domain=settings.mail_domain),
        settings,
    )


def _send_email(channel: dict[str, Any], message: IncidentMessage, settings: Settings) -> Attempt:
    recipients = channel["config"]["to"]
    return _mail(
        render_email(message, sender=settings.smtp_from, recipients=recipients, domain=settings.mail_domain), settings
    )


def _mail(mail: Any, settings: Settings) -> Attempt:
    if not settings.smtp_host:
        return Attempt("failed", None, 0.0, "VIGIE_SMTP_HOST is not set: e-mail channels cannot send", None)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    smtp = SmtpConfig(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,
        settings.smtp_username,
        password,
        local_hostname=settings.mail_domain,  # the EHLO name; smtplib's default looks up our FQDN, slowly at times
    )
    result = send_email(mail, smtp, timeout=settings.delivery_timeout)
    return Attempt(result.outcome, result.status_code, result.latency_ms, result.error, None)


def send_test(
    conn: sa.Connection, *, workspace: dict[str, Any], channel: dict[str, Any], settings: Settings, now: datetime
) -> Attempt:
    """Send a sample incident to a channel now (POST /channels/{id}/test); the outcome says how it went."""
    message = sample_message(workspace, settings, now, message_id=new_message_id())
    with httpx.Client(timeout=settings.delivery_timeout) as client:
        return send(channel, message, settings=settings, client=client, now=now)


class DeliveryWorker:
    """The alert role's clock job: send what is due, a few at a time, each on its own lease."""

    def __init__(self, engine: sa.Engine, settings: Settings, *, owner: str | None = None, seed: int | None = None):
        self.engine, self.settings = engine, settings
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:deliver"
        self.client = httpx.Client(timeout=settings.delivery_timeout)
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="deliver")
        self.rng = random.Random(seed)

    def close(self) -> None:
        """Stop sending; in-flight sends finish."""
        self.pool.shutdown(wait=True)
        self.client.close()

    def tick(self, now: datetime | None = None) -> int:
        """Claim due deliveries and send them; returns how many were claimed."""
        now = now or utcnow()
        with writing(self.engine) as conn:
            claimed = store.claim_due_deliveries(
                conn, owner=self.owner, limit=BATCH, lease_seconds=self.settings.delivery_lease_seconds, now=now
            )
        by_channel: dict[int, list[dict[str, Any]]] = {}
        for delivery in claimed:
            by_channel.setdefault(delivery["channel_id"], []).append(delivery)
        list(self.pool.map(lambda group: self._deliver_group(group, now), by_channel.values()))
        return len(claimed)

    def _deliver_group(self, group: list[dict[str, Any]], now: datetime) -> None:
        """One channel's share of a tick, in order; Slack gets the first now and the others at its pace."""
        for i, delivery in enumerate(group):
            self._deliver(delivery, now, queue_position=i)

    def _deliver(self, delivery: dict[str, Any], now: datetime, queue_position: int = 0) -> None:
        with reading(self.engine) as conn:
            channel = store.channel_by_id(conn, channel_id=delivery["channel_id"])
        if channel is None or not channel["enabled"]:
            reason = (channel or {}).get("disabled_reason") or "the channel is disabled"
            self._finish(delivery, None, {"status": "dead", "last_error": reason})
            return
        if channel["kind"] == "slack":
            pace = timedelta(seconds=self.settings.slack_min_interval_seconds)
            not_before = max(channel["next_send_at"] or now, now + pace * queue_position)
            if not_before > now:
                self._finish(delivery, None, {"due_at": not_before})  # Slack's pace: not an attempt
                return
        # Signatures carry the real time (receivers check it); scheduling follows the tick's `now`.
        payload, real_now = delivery["payload"], utcnow()
        if "digest" in payload:
            digest = digest_from_dict(payload["digest"])
            attempt = send_digest(channel, digest, settings=self.settings, client=self.client, now=real_now)
        else:
            message = message_from_dict(payload)
            attempt = send(channel, message, settings=self.settings, client=self.client, now=real_now)
        self._record(delivery, channel, attempt, now)

    def _record(self, delivery: dict[str, Any], channel: dict[str, Any], attempt: Attempt, now: datetime) -> None:
        tries = delivery["attempts"] + 1
        values: dict[str, Any] = {
            "attempts": tries,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
        }
        if attempt.outcome == "delivered":
            values.update(status="delivered", delivered_at=now)
        elif attempt.outcome == "retry" and tries < self.settings.delivery_max_attempts:
            delay = next_retry_delay(
                tries,
                retry_after=attempt.retry_after,
                rng=self.rng,
                base=self.settings.delivery_retry_base_seconds,
                cap=self.settings.delivery_retry_max_seconds,
            )
            values["due_at"] = now + timedelta(seconds=delay)
        else:
            values["status"] = "dead"
            log.warning(
                "delivery failed for good; see GET /api/v1/deliveries",
                extra={"delivery_id": delivery["id"], "channel": channel["name"], "outcome": attempt.outcome},
            )
        record = store.AttemptRecord(now, attempt.outcome, attempt.status_code, attempt.latency_ms, attempt.error)
        with writing(self.engine) as conn:
            if not store.finish_attempt(
                conn, delivery_id=delivery["id"], owner=self.owner, attempt=record, values=values
            ):
                return  # the lease expired and another worker took the delivery over: its result wins
            if channel["kind"] == "slack":
                pace = max(self.settings.slack_min_interval_seconds, attempt.retry_after or 0.0)
                pace_until = now + timedelta(seconds=pace)
                store.set_channel_pace(conn, channel_id=channel["id"], next_send_at=pace_until)
            if attempt.outcome == "gone":
                reason = "the receiver answered 410 Gone: the channel was disabled; fix its URL and enable it"
                store.update_channel(
                    conn,
                    workspace_id=channel["workspace_id"],
                    channel_id=channel["id"],
                    values={"enabled": False, "disabled_reason": reason},
                )
                store.cancel_channel_deliveries(conn, channel_id=channel["id"], reason=reason)

    def _finish(self, delivery: dict[str, Any], attempt: store.AttemptRecord | None, values: dict[str, Any]) -> None:
        with writing(self.engine) as conn:
            store.finish_attempt(conn, delivery_id=delivery["id"], owner=self.owner, attempt=attempt, values=values)
