"""API keys: stored as hashes, found by hash when a request comes, revoked (never deleted) for the record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db.schema import api_keys, instance_secrets, workspaces
from app.storage import fetch_all, fetch_one

FIRST_ADMIN_KEY = "first_admin_key"  # instance_secrets row: the hash of the key made at the first start


def create_api_key(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Store a key (name, prefix, key_hash, scope, created_at) for the workspace; the new row."""
    key_id = conn.execute(
        sa.insert(api_keys).values(workspace_id=workspace_id, **values).returning(api_keys.c.id)
    ).scalar_one()
    return fetch_one(conn, api_keys, api_keys.c.id == key_id)  # type: ignore[return-value]


def get_api_key_by_hash(conn: sa.Connection, *, key_hash: str) -> dict[str, Any] | None:
    """The key with this hash, revoked or not, or None."""
    return fetch_one(conn, api_keys, api_keys.c.key_hash == key_hash)


def get_api_key(conn: sa.Connection, *, workspace_id: int, key_id: int) -> dict[str, Any] | None:
    """One key of the workspace, or None."""
    return fetch_one(conn, api_keys, api_keys.c.workspace_id == workspace_id, api_keys.c.id == key_id)


def list_api_keys(conn: sa.Connection, *, workspace_id: int) -> list[dict[str, Any]]:
    """Every key of the workspace, revoked ones included, by id."""
    return fetch_all(conn, api_keys, api_keys.c.workspace_id == workspace_id)


def list_all_api_keys(conn: sa.Connection, *, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """Every key (of one workspace, or of all), with its workspace's name, by id."""
    stmt = (
        sa.select(api_keys, workspaces.c.name.label("workspace"))
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
        .order_by(api_keys.c.id)
    )
    if workspace_id is not None:
        stmt = stmt.where(api_keys.c.workspace_id == workspace_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def find_api_keys(conn: sa.Connection, *, key_id: int | None = None, prefix: str | None = None) -> list[dict]:
    """The keys (of any workspace) with this id or this prefix."""
    where = api_keys.c.id == key_id if key_id is not None else api_keys.c.prefix == prefix
    return fetch_all(conn, api_keys, where)


def any_api_key(conn: sa.Connection) -> bool:
    """True when at least one key exists, revoked or not, in any workspace."""
    return conn.execute(sa.select(api_keys.c.id).limit(1)).first() is not None


def revoke_api_key(conn: sa.Connection, *, key_id: int, now: datetime) -> dict[str, Any]:
    """Revoke a key from `now` (a key revoked earlier keeps its first revocation time); the row."""
    conn.execute(
        sa.update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return fetch_one(conn, api_keys, api_keys.c.id == key_id)  # type: ignore[return-value]


def revoke_named_keys(conn: sa.Connection, *, workspace_id: int, name: str, now: datetime) -> int:
    """Revoke every live key of the workspace called `name`; how many."""
    stmt = (
        sa.update(api_keys)
        .where(api_keys.c.workspace_id == workspace_id, api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return conn.execute(stmt).rowcount


def touch_api_key(conn: sa.Connection, *, key_id: int, now: datetime, every: timedelta) -> bool:
    """Record a use of the key at `now` unless one was recorded less than `every` ago; True when written."""
    stale = sa.or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at <= now - every)
    return conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id, stale).values(last_used_at=now)).rowcount > 0


def claim_first_admin_key(conn: sa.Connection, *, key_hash: str, now: datetime) -> bool:
    """Record that this process makes the first admin key; False when another one already did (or is doing it).

    The primary key of instance_secrets decides: on PostgreSQL a second replica's insert waits for the first
    one's transaction, then fails, so two API replicas starting together never make two first keys."""
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(instance_secrets).values(name=FIRST_ADMIN_KEY, value=key_hash, created_at=now))
    except sa.exc.IntegrityError:
        return False
    return True
