"""Tombstones of purged mentions: a digest of each dedup key a purged mention had (its source's external id, its
canonical URL, its content hash), so that ingest treats the mention as already seen when a feed still lists it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db.retention_schema import mention_tombstones
from app.db.schema import workspaces

_LOOKUP_CHUNK = 500  # stay well under SQLite's bound-parameter limit


def tombstone_key(kind: str, value: str, source_id: int | None = None) -> str:
    """The 128-bit hex digest standing for one dedup key: external ids are a source's own, URLs and content hashes
    the workspace's (as the unique keys of `mentions` are)."""
    scope = "" if source_id is None else str(source_id)
    return hashlib.sha256(f"{kind}\x1f{scope}\x1f{value}".encode()).hexdigest()[:32]


def _keys(row: dict[str, Any]) -> list[tuple[str, int | None]]:
    keys = [(tombstone_key("external_id", row["external_id"], row["source_id"]), row["source_id"])]
    if row.get("canonical_url"):
        keys.append((tombstone_key("canonical_url", row["canonical_url"]), None))
    if row.get("content_hash"):
        keys.append((tombstone_key("content_hash", row["content_hash"]), None))
    return keys


def bury(conn: sa.Connection, *, workspace_id: int, rows: Iterable[dict[str, Any]], now: datetime) -> None:
    """Keep the tombstones of mentions about to be purged (`source_id`, `external_id`, `canonical_url`,
    `content_hash`); a key buried before gets a fresh `purged_at`."""
    found = {key: source_id for row in rows for key, source_id in _keys(row)}
    if not found:
        return
    values = [
        {"workspace_id": workspace_id, "key": key, "source_id": source_id, "purged_at": now}
        for key, source_id in sorted(found.items())  # sorted: two purging workers lock keys in the same order
    ]
    stmt = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(mention_tombstones)
    refreshed = {"purged_at": stmt.excluded.purged_at}
    conn.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "key"], set_=refreshed), values)


def _buried(conn: sa.Connection, workspace_id: int, wanted: dict[str, str]) -> set[str]:
    """Of `wanted` (key -> value), the values whose key has a tombstone."""
    keys = sorted(wanted)
    found: set[str] = set()
    for i in range(0, len(keys), _LOOKUP_CHUNK):
        stmt = sa.select(mention_tombstones.c.key).where(
            mention_tombstones.c.workspace_id == workspace_id,
            mention_tombstones.c.key.in_(keys[i : i + _LOOKUP_CHUNK]),
        )
        found.update(wanted[k] for k in conn.execute(stmt).scalars())
    return found


def tombstoned_keys(
    conn: sa.Connection,
    *,
    workspace_id: int,
    source_id: int,
    external_ids: Iterable[str],
    canonical_urls: Iterable[str | None],
    content_hashes: Iterable[str | None],
) -> tuple[set[str], set[str], set[str]]:
    """Which of these dedup keys belonged to purged mentions: (external ids of this source, URLs, content hashes)."""
    purged = sa.select(workspaces.c.purged_before).where(workspaces.c.id == workspace_id)
    if conn.execute(purged).scalar() is None:
        return set(), set(), set()  # never purged, so no tombstone: spare ingest the look-ups
    wanted = (
        {tombstone_key("external_id", v, source_id): v for v in external_ids if v is not None},
        {tombstone_key("canonical_url", v): v for v in canonical_urls if v is not None},
        {tombstone_key("content_hash", v): v for v in content_hashes if v is not None},
    )
    if not any(wanted):
        return set(), set(), set()
    ids, urls, hashes = (_buried(conn, workspace_id, w) if w else set() for w in wanted)
    return ids, urls, hashes


def expire_tombstones(conn: sa.Connection, *, workspace_id: int, before: datetime, limit: int) -> int:
    """Forget up to `limit` of the workspace's tombstones buried before `before`; how many were forgotten."""
    stmt = (
        sa.select(mention_tombstones.c.key)
        .where(mention_tombstones.c.workspace_id == workspace_id, mention_tombstones.c.purged_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    keys = list(conn.execute(stmt).scalars())
    if not keys:
        return 0
    delete = sa.delete(mention_tombstones).where(
        mention_tombstones.c.workspace_id == workspace_id, mention_tombstones.c.key.in_(keys)
    )
    return conn.execute(delete).rowcount


def count_expired_tombstones(conn: sa.Connection, *, workspace_id: int, before: datetime) -> int:
    """How many of the workspace's tombstones were buried before `before` (a dry run)."""
    stmt = sa.select(sa.func.count()).where(
        mention_tombstones.c.workspace_id == workspace_id, mention_tombstones.c.purged_at < before
    )
    return conn.execute(stmt).scalar_one()
