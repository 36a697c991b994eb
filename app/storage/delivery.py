"""Channels, routes, silences, the notification log, and the outbox (deliveries and their attempts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db.schema import (
    ack_link_uses,
    channels,
    deliveries,
    delivery_attempts,
    incidents,
    instance_secrets,
    route_logs,
    routes,
    silences,
    utcnow,
)
from app.storage import fetch_all, fetch_one

CHANNEL_FIELDS = ("name", "kind", "config", "secrets", "enabled", "disabled_reason")
ROUTE_FIELDS = ("name", "spec", "enabled")
FINAL = ("delivered", "dead", "cancelled")


# --- channels


def list_channels(conn: sa.Connection, *, workspace_id: int) -> list[dict[str, Any]]:
    """Every channel of the workspace, by id."""
    return fetch_all(conn, channels, channels.c.workspace_id == workspace_id)


def get_channel(conn: sa.Connection, *, workspace_id: int, channel_id: int) -> dict[str, Any] | None:
    """One channel of the workspace, or None."""
    return fetch_one(conn, channels, channels.c.workspace_id == workspace_id, channels.c.id == channel_id)


def get_channel_by_name(conn: sa.Connection, *, workspace_id: int, name: str) -> dict[str, Any] | None:
    """The channel called `name`, or None."""
    return fetch_one(conn, channels, channels.c.workspace_id == workspace_id, channels.c.name == name)


def create_channel(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a channel; returns it."""
    now = utcnow()
    row = {k: values[k] for k in CHANNEL_FIELDS if k in values}
    stmt = sa.insert(channels).values(workspace_id=workspace_id, created_at=now, updated_at=now, **row)
    channel_id = conn.execute(stmt.returning(channels.c.id)).scalar_one()
    return get_channel(conn, workspace_id=workspace_id, channel_id=channel_id)  # type: ignore[return-value]


def update_channel(
    conn: sa.Connection, *, workspace_id: int, channel_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Change some fields of a channel; None when it does not exist."""
    changes = {k: values[k] for k in (*CHANNEL_FIELDS, "next_send_at") if k in values}
    stmt = sa.update(channels).where(channels.c.workspace_id == workspace_id, channels.c.id == channel_id)
    conn.execute(stmt.values(updated_at=utcnow(), **changes))
    return get_channel(conn, workspace_id=workspace_id, channel_id=channel_id)


def delete_channel(conn: sa.Connection, *, workspace_id: int, channel_id: int) -> bool:
    """Delete a channel and its deliveries; False when it did not exist."""
    stmt = sa.delete(channels).where(channels.c.workspace_id == workspace_id, channels.c.id == channel_id)
    return conn.execute(stmt).rowcount > 0


def set_channel_pace(conn: sa.Connection, *, channel_id: int, next_send_at: datetime) -> None:
    """No message to this channel before `next_send_at` (rate limit, Retry-After)."""
    conn.execute(sa.update(channels).where(channels.c.id == channel_id).values(next_send_at=next_send_at))


# --- routes


def list_routes(conn: sa.Connection, *, workspace_id: int) -> list[dict[str, Any]]:
    """Every route of the workspace, by id."""
    return fetch_all(conn, routes, routes.c.workspace_id == workspace_id)


def get_route(conn: sa.Connection, *, workspace_id: int, route_id: int) -> dict[str, Any] | None:
    """One route of the workspace, or None."""
    return fetch_one(conn, routes, routes.c.workspace_id == workspace_id, routes.c.id == route_id)


def get_route_by_name(conn: sa.Connection, *, workspace_id: int, name: str) -> dict[str, Any] | None:
    """The route called `name`, or None."""
    return fetch_one(conn, routes, routes.c.workspace_id == workspace_id, routes.c.name == name)


def create_route(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a route; returns it."""
    now = utcnow()
    row = {k: values[k] for k in ROUTE_FIELDS if k in values}
    stmt = sa.insert(routes).values(workspace_id=workspace_id, created_at=now, updated_at=now, **row)
    route_id = conn.execute(stmt.returning(routes.c.id)).scalar_one()
    return get_route(conn, workspace_id=workspace_id, route_id=route_id)  # type: ignore[return-value]


def update_route(
    conn: sa.Connection, *, workspace_id: int, route_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Change some fields of a route; None when it does not exist."""
    changes = {k: values[k] for k in ROUTE_FIELDS if k in values}
    stmt = sa.update(routes).where(routes.c.workspace_id == workspace_id, routes.c.id == route_id)
    conn.execute(stmt.values(updated_at=utcnow(), **changes))
    return get_route(conn, workspace_id=workspace_id, route_id=route_id)


def delete_route(conn: sa.Connection, *, workspace_id: int, route_id: int) -> bool:
    """Delete a route (its pending deliveries stay and go out); False when it did not exist."""
    stmt = sa.delete(routes).where(routes.c.workspace_id == workspace_id, routes.c.id == route_id)
    return conn.execute(stmt).rowcount > 0


# --- silences


def list_silences(conn: sa.Connection, *, workspace_id: int, active_at: datetime | None = None) -> list[dict[str, Any]]:
    """The workspace's silences by id; only those not yet over at `active_at` when given."""
    where = [silences.c.workspace_id == workspace_id]
    if active_at is not None:
        where.append(silences.c.ends_at > active_at)
    return fetch_all(conn, silences, *where)


def get_silence(conn: sa.Connection, *, workspace_id: int, silence_id: int) -> dict[str, Any] | None:
    """One silence, or None."""
    return fetch_one(conn, silences, silences.c.workspace_id == workspace_id, silences.c.id == silence_id)


def create_silence(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a silence; returns it."""
    keys = ("brand", "kind", "severity", "starts_at", "ends_at", "comment", "created_by")
    stmt = sa.insert(silences).values(workspace_id=workspace_id, created_at=utcnow(), **{k: values[k] for k in keys})
    silence_id = conn.execute(stmt.returning(silences.c.id)).scalar_one()
    return get_silence(conn, workspace_id=workspace_id, silence_id=silence_id)  # type: ignore[return-value]


def end_silence(conn: sa.Connection, *, workspace_id: int, silence_id: int, at: datetime) -> dict[str, Any] | None:
    """End a silence at `at` (kept for the record); None when it does not exist."""
    stmt = sa.update(silences).where(silences.c.workspace_id == workspace_id, silences.c.id == silence_id)
    conn.execute(stmt.where(silences.c.ends_at > at).values(ends_at=at))
    return get_silence(conn, workspace_id=workspace_id, silence_id=silence_id)


def find_silence(
    conn: sa.Connection, *, workspace_id: int, brand: str | None, kind: str | None, severity: str | None, comment: str
) -> dict[str, Any] | None:
    """The latest silence with these matchers and comment (how the config file recognises its own), or None."""
    where = [silences.c.workspace_id == workspace_id, silences.c.comment == comment]
    for column, value in ((silences.c.brand, brand), (silences.c.kind, kind), (silences.c.severity, severity)):
        where.append(column.is_(None) if value is None else column == value)
    row = conn.execute(sa.select(silences).where(*where).order_by(silences.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


# --- the notification log


def route_logs_of(conn: sa.Connection, *, incident_id: int) -> dict[int, dict[str, Any]]:
    """route_id -> its stored log row, for one incident."""
    stmt = sa.select(route_logs).where(route_logs.c.incident_id == incident_id)
    return {r["route_id"]: dict(r) for r in conn.execute(stmt).mappings()}


def save_route_log(
    conn: sa.Connection, *, incident_id: int, route_id: int, log: dict[str, Any], wake_at: datetime | None
) -> None:
    """Insert or replace the log of one (incident, route)."""
    key = (route_logs.c.incident_id == incident_id) & (route_logs.c.route_id == route_id)
    values = {"log": log, "wake_at": wake_at, "updated_at": utcnow()}
    if conn.execute(sa.update(route_logs).where(key).values(**values)).rowcount == 0:
        conn.execute(sa.insert(route_logs).values(incident_id=incident_id, route_id=route_id, **values))


def incidents_to_wake(conn: sa.Connection, *, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(workspace_id, incident_id) of incidents with a route whose timer (group wait, reminder, escalation,
    end of a mute) has passed, the longest overdue first."""
    stmt = (
        sa.select(incidents.c.workspace_id, route_logs.c.incident_id)
        .join(incidents, incidents.c.id == route_logs.c.incident_id)
        .where(route_logs.c.wake_at <= now)
        .group_by(incidents.c.workspace_id, route_logs.c.incident_id)
        .order_by(sa.func.min(route_logs.c.wake_at))
        .limit(limit)
    )
    return [(w, i) for w, i in conn.execute(stmt)]


def reset_route_logs(conn: sa.Connection, *, incident_id: int) -> None:
    """Forget what routes told about an incident (it reopened: it pages again like a new one)."""
    conn.execute(sa.delete(route_logs).where(route_logs.c.incident_id == incident_id))


# --- deliveries (the outbox)


def add_delivery(conn: sa.Connection, *, values: dict[str, Any]) -> int:
    """Write one message to the outbox; returns its id."""
    now = utcnow()
    row = {"status": "pending", "attempts": 0, "created_at": now, "updated_at": now, **values}
    return conn.execute(sa.insert(deliveries).values(**row).returning(deliveries.c.id)).scalar_one()


def claim_due_deliveries(
    conn: sa.Connection, *, owner: str, limit: int, lease_seconds: float, now: datetime
) -> list[dict[str, Any]]:
    """Lease up to `limit` due deliveries, each the oldest unfinished one of its (channel, incident), so that
    messages about one incident reach a channel in order; a delivery leased to a dead worker comes back when
    its lease expires. PostgreSQL: SKIP LOCKED; SQLite: the caller's BEGIN IMMEDIATE serialises claims."""
    earlier = deliveries.alias("earlier")
    blocked = (
        sa.select(earlier.c.id)
        .where(
            earlier.c.channel_id == deliveries.c.channel_id,
            earlier.c.incident_id == deliveries.c.incident_id,
            earlier.c.id < deliveries.c.id,
            earlier.c.status == "pending",
        )
        .exists()
    )
    due = (
        sa.select(deliveries.c.id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.due_at <= now,
            sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
            ~blocked,
        )
        .order_by(deliveries.c.due_at, deliveries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=deliveries)
    )
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    lease = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds)}
    conn.execute(sa.update(deliveries).where(deliveries.c.id.in_(ids)).values(**lease))
    rows = conn.execute(sa.select(deliveries).where(deliveries.c.id.in_(ids)).order_by(deliveries.c.id))
    return [dict(r) for r in rows.mappings()]


@dataclass(slots=True)
class AttemptRecord:
    """One try at a delivery, as the log keeps it (the error excerpt carries no secret)."""

    at: datetime
    outcome: str  # delivered | retry | failed | gone | postponed
    status_code: int | None
    latency_ms: float
    error: str | None


def finish_attempt(
    conn: sa.Connection,
    *,
    delivery_id: int,
    owner: str,
    attempt: AttemptRecord | None,
    values: dict[str, Any],
) -> bool:
    """Record an attempt (if any) and the delivery's new state, only if `owner` still holds its lease;
    False when the lease was lost (another worker took over: its result wins)."""
    stmt = sa.update(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.lease_owner == owner)
    done = conn.execute(stmt.values(lease_owner=None, lease_until=None, updated_at=utcnow(), **values))
    if done.rowcount == 0:
        return False
    if attempt is not None:
        row = {
            "delivery_id": delivery_id,
            "worker": owner,
            "at": attempt.at,
            "outcome": attempt.outcome,
            "status_code": attempt.status_code,
            "latency_ms": attempt.latency_ms,
            "error": attempt.error,
        }
        conn.execute(sa.insert(delivery_attempts).values(**row))
    return True


def get_delivery(conn: sa.Connection, *, workspace_id: int, delivery_id: int) -> dict[str, Any] | None:
    """One delivery of the workspace, or None."""
    return fetch_one(conn, deliveries, deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery_id)


def list_attempts(conn: sa.Connection, *, delivery_id: int) -> list[dict[str, Any]]:
    """The attempts of a delivery, oldest first."""
    return fetch_all(conn, delivery_attempts, delivery_attempts.c.delivery_id == delivery_id)


@dataclass(slots=True)
class DeliveryFilter:
    """Filters of the delivery log; None means no filter."""

    status: str | None = None
    channel_id: int | None = None
    incident_id: int | None = None


def list_deliveries(
    conn: sa.Connection, *, workspace_id: int, filters: DeliveryFilter, limit: int, before_id: int | None = None
) -> list[dict[str, Any]]:
    """Deliveries newest first, with the keyset cursor `before_id`."""
    stmt = sa.select(deliveries).where(deliveries.c.workspace_id == workspace_id)
    for column, value in (
        (deliveries.c.status, filters.status),
        (deliveries.c.channel_id, filters.channel_id),
        (deliveries.c.incident_id, filters.incident_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if before_id is not None:
        stmt = stmt.where(deliveries.c.id < before_id)
    stmt = stmt.order_by(deliveries.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def redeliver(conn: sa.Connection, *, workspace_id: int, delivery_id: int, now: datetime) -> dict[str, Any] | None:
    """Put a finished delivery back in the outbox, due now, same message id; None when it does not exist."""
    stmt = sa.update(deliveries).where(deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery_id)
    values = {"status": "pending", "due_at": now, "lease_owner": None, "lease_until": None, "updated_at": now}
    conn.execute(stmt.where(deliveries.c.status != "pending").values(**values))
    return get_delivery(conn, workspace_id=workspace_id, delivery_id=delivery_id)


def cancel_channel_deliveries(conn: sa.Connection, *, channel_id: int, reason: str) -> int:
    """Dead-letter the pending deliveries of a channel that cannot take them (disabled, gone)."""
    stmt = sa.update(deliveries).where(deliveries.c.channel_id == channel_id, deliveries.c.status == "pending")
    return conn.execute(stmt.values(status="dead", last_error=reason, updated_at=utcnow())).rowcount


def delivery_counts(conn: sa.Connection, *, workspace_id: int, since: datetime) -> dict[str, int]:
    """Deliveries created since `since`, by status (for the digest and /metrics)."""
    stmt = (
        sa.select(deliveries.c.status, sa.func.count())
        .where(deliveries.c.workspace_id == workspace_id, deliveries.c.created_at >= since)
        .group_by(deliveries.c.status)
    )
    return {status: n for status, n in conn.execute(stmt)}


# --- acknowledge links and instance secrets


def use_ack_link(conn: sa.Connection, *, nonce: str, incident_id: int, now: datetime) -> bool:
    """Record that a link was used; False when it was used before (links are single-use)."""
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(ack_link_uses).values(nonce=nonce, incident_id=incident_id, used_at=now))
    except sa.exc.IntegrityError:
        return False
    return True


def instance_secret(conn: sa.Connection, *, name: str, make: Any) -> str:
    """The instance secret called `name`, created with `make()` on first use (race-safe)."""
    found = conn.execute(sa.select(instance_secrets.c.value).where(instance_secrets.c.name == name)).scalar()
    if found is not None:
        return found
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(instance_secrets).values(name=name, value=make(), created_at=utcnow()))
    except sa.exc.IntegrityError:
        pass  # another process made it first: use theirs
    return conn.execute(sa.select(instance_secrets.c.value).where(instance_secrets.c.name == name)).scalar_one()


def wake_routes(conn: sa.Connection, *, workspace_id: int, now: datetime) -> int:
    """Make every live incident of the workspace due for routing now (routes, silences or office hours
    changed); returns how many route logs were woken."""
    live = sa.select(incidents.c.id).where(incidents.c.workspace_id == workspace_id, incidents.c.status != "resolved")
    stmt = sa.update(route_logs).where(route_logs.c.incident_id.in_(live)).values(wake_at=now)
    return conn.execute(stmt).rowcount


def channel_by_id(conn: sa.Connection, *, channel_id: int) -> dict[str, Any] | None:
    """A channel whatever its workspace (the delivery worker serves them all), or None."""
    return fetch_one(conn, channels, channels.c.id == channel_id)


def count_dead_between(conn: sa.Connection, *, workspace_id: int, since: datetime, until: datetime) -> int:
    """Deliveries that failed for good (dead letters) last changed in [since, until)."""
    stmt = sa.select(sa.func.count()).where(
        deliveries.c.workspace_id == workspace_id,
        deliveries.c.status == "dead",
        deliveries.c.updated_at >= since,
        deliveries.c.updated_at < until,
    )
    return conn.execute(stmt).scalar_one()


def delivery_exists(conn: sa.Connection, *, message_id: str) -> bool:
    """True when a delivery with this message id was already written (digests go out once a day)."""
    return conn.execute(sa.select(deliveries.c.id).where(deliveries.c.message_id == message_id)).first() is not None
