"""The daily digest: once a day, at the workspace's chosen local hour, what the last 24 hours looked like.

Volume against the usual (the same hours over the previous seven days) and sentiment per brand, incidents
opened (info ones included: they only ever reach people here and in the feed) and resolved, and deliveries
that failed for good. One delivery per digest channel per local day: the message id is derived from the
workspace, the day and the channel, so a restart or a second alert worker never sends it twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from alerts.delivery.digest import BrandDay, Digest, DigestIncident, digest_to_dict
from app.alerting import AlertingSpec
from app.db import writing
from app.db.schema import utcnow
from app.settings import Settings
from app.storage import delivery as store
from app.storage.brands import list_brands
from app.storage.incidents import count_resolved_between, incidents_opened_between
from app.storage.mentions import brand_sentiment_counts
from app.storage.workspaces import list_workspaces

log = logging.getLogger(__name__)
USUAL_DAYS = 7


def digest_day(workspace: dict[str, Any], now: datetime) -> date | None:
    """The local day whose digest is due at `now` (from the digest hour on), or None (no digest set up)."""
    alerting = AlertingSpec(**(workspace.get("alerting") or {}))
    if alerting.digest_hour is None or not alerting.digest_channels:
        return None
    local = now.astimezone(ZoneInfo(workspace["timezone"]))
    return local.date() if local.hour >= alerting.digest_hour else None


def _period(workspace: dict[str, Any], day: date) -> tuple[datetime, datetime]:
    hour = AlertingSpec(**workspace["alerting"]).digest_hour or 0
    end = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(workspace["timezone"]))
    return end - timedelta(days=1), end  # the aware local times compare as instants


def _brand_day(conn: sa.Connection, brand: dict[str, Any], start: datetime, end: datetime) -> BrandDay:
    now_counts = brand_sentiment_counts(conn, brand_id=brand["id"], since=start, until=end)
    before = brand_sentiment_counts(conn, brand_id=brand["id"], since=start - timedelta(days=USUAL_DAYS), until=start)
    usual_total = sum(before.values())
    return BrandDay(
        name=brand["name"],
        mentions=sum(now_counts.values()),
        usual=usual_total / USUAL_DAYS if usual_total else None,
        negative=now_counts.get("negative", 0),
        positive=now_counts.get("positive", 0),
        neutral=now_counts.get("neutral", 0) + now_counts.get("", 0),
        usual_negative_share=before.get("negative", 0) / usual_total if usual_total else None,
    )


def build_digest(
    conn: sa.Connection, *, workspace: dict[str, Any], day: date, settings: Settings, message_id: str
) -> Digest:
    """The digest of `day` for the workspace."""
    start, end = _period(workspace, day)
    base = settings.public_url.rstrip("/")
    opened = incidents_opened_between(conn, workspace_id=workspace["id"], since=start, until=end)
    return Digest(
        message_id=message_id,
        language=workspace["language"],
        workspace_name=workspace["name"],
        day=day,
        period_start=start.astimezone(ZoneInfo("UTC")),
        period_end=end.astimezone(ZoneInfo("UTC")),
        timezone=workspace["timezone"],
        brands=tuple(_brand_day(conn, b, start, end) for b in list_brands(conn, workspace_id=workspace["id"])),
        opened=tuple(
            DigestIncident(
                id=i["id"],
                brand=i["brand_name"],
                kind=i["kind"],
                severity=i["severity"],
                score=i["peak_score"],
                status=i["status"],
                explanation=i["explanation"],
                url=f"{base}/incidents/{i['id']}",
            )
            for i in opened
        ),
        resolved=count_resolved_between(conn, workspace_id=workspace["id"], since=start, until=end),
        failed_deliveries=store.count_dead_between(conn, workspace_id=workspace["id"], since=start, until=end),
        feed_url=f"{base}/",
    )


def enqueue_digests(conn: sa.Connection, *, settings: Settings, now: datetime) -> int:
    """Write today's digest to the outbox for every workspace whose digest hour has come; returns how many."""
    written = 0
    for workspace in list_workspaces(conn):
        day = digest_day(workspace, now)
        if day is None:
            continue
        for name in AlertingSpec(**workspace["alerting"]).digest_channels:
            channel = store.get_channel_by_name(conn, workspace_id=workspace["id"], name=name)
            message_id = f"digest_{workspace['id']}_{day.isoformat()}_{channel['id'] if channel else name}"
            if channel is None or not channel["enabled"] or store.delivery_exists(conn, message_id=message_id):
                continue
            digest = build_digest(conn, workspace=workspace, day=day, settings=settings, message_id=message_id)
            values = {
                "workspace_id": workspace["id"],
                "incident_id": None,
                "channel_id": channel["id"],
                "route_id": None,
                "message_id": message_id,
                "event": "vigie.digest",
                "reason": "digest",
                "due_at": now,
                "payload": {"digest": digest_to_dict(digest)},
            }
            store.add_delivery(conn, values=values)
            log.info("digest queued", extra={"workspace": workspace["name"], "channel": name})
            written += 1
    return written


class DigestWorker:
    """The alert role's clock job for digests (cheap: it only writes when a workspace's hour has come)."""

    def __init__(self, engine: sa.Engine, settings: Settings):
        self.engine, self.settings = engine, settings

    def tick(self, now: datetime | None = None) -> int:
        """Queue the digests that are due; returns how many."""
        with writing(self.engine) as conn:
            return enqueue_digests(conn, settings=self.settings, now=now or utcnow())
