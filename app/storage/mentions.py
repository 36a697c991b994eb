"""Mentions: dedup look-ups, idempotent inserts and the filtered, keyset-paginated list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db.schema import brands, mention_brands, mentions
from app.storage.rollup_levels import rollup_scopes
from app.storage.rollups import add_to_rollups
from app.storage.tombstones import tombstoned_keys

_LOOKUP_CHUNK = 500  # stay well under SQLite's bound-parameter limit


def _existing(conn: sa.Connection, column: sa.Column, where: sa.ColumnElement, values: Iterable) -> set:
    wanted = sorted({v for v in values if v is not None})
    found: set = set()
    for i in range(0, len(wanted), _LOOKUP_CHUNK):
        stmt = sa.select(column).where(where, column.in_(wanted[i : i + _LOOKUP_CHUNK]))
        found.update(conn.execute(stmt).scalars())
    return found


def existing_keys(
    conn: sa.Connection,
    *,
    workspace_id: int,
    source_id: int,
    external_ids: Iterable[str],
    canonical_urls: Iterable[str | None],
    content_hashes: Iterable[str | None],
) -> tuple[set[str], set[str], set[str]]:
    """Which of these dedup keys are already stored, or were and left a tombstone when their mention was purged:
    (external ids of this source, URLs, content hashes)."""
    external_ids, canonical_urls, content_hashes = list(external_ids), list(canonical_urls), list(content_hashes)
    in_source = mentions.c.source_id == source_id
    in_workspace = mentions.c.workspace_id == workspace_id
    buried = tombstoned_keys(
        conn,
        workspace_id=workspace_id,
        source_id=source_id,
        external_ids=external_ids,
        canonical_urls=canonical_urls,
        content_hashes=content_hashes,
    )
    return (
        _existing(conn, mentions.c.external_id, in_source, external_ids) | buried[0],
        _existing(conn, mentions.c.canonical_url, in_workspace, canonical_urls) | buried[1],
        _existing(conn, mentions.c.content_hash, in_workspace, content_hashes) | buried[2],
    )


def _insert_ignoring_duplicates(conn: sa.Connection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(mentions).on_conflict_do_nothing().returning(mentions.c.id)


def _past_horizon(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[bool]:
    """Whether each row was published before its workspace's purge horizon. The workspaces are read FOR SHARE: the
    horizon (and the time zone of the daily rollups) cannot move until this transaction ends."""
    scopes = rollup_scopes(conn, workspace_ids={row["workspace_id"] for row in rows}, lock=True)
    horizons = {workspace_id: scope.purged_before for workspace_id, scope in scopes.items()}
    return [
        (horizon := horizons.get(row["workspace_id"])) is not None and row["published_at"] < horizon for row in rows
    ]


def insert_mention(conn: sa.Connection, *, row: dict[str, Any], brand_terms: dict[int, list[str]]) -> int | None:
    """Store one mention with its brand links; None when a unique key says it is already there."""
    return insert_mentions(conn, rows=[row], brand_terms=[brand_terms])[0]


def insert_mentions(
    conn: sa.Connection, *, rows: list[dict[str, Any]], brand_terms: list[dict[int, list[str]]]
) -> list[int | None]:
    """Store mentions with their brand links (`brand_terms[i]` belongs to `rows[i]`) in multi-row INSERTs
    (SQLAlchemy's "insertmanyvalues", up to 1,000 rows a statement); the id of each, or None where a
    unique key says it is already there.

    Rows that are already stored return nothing, so ids are matched to rows by their (source_id,
    external_id) key; of two rows with the same key, the first is stored and the second is a duplicate. A row
    published before its workspace's purge horizon is not stored either (None): that period is closed, its
    statistics are the rollups kept when its mentions were purged, and the purge would delete it again at once.
    """
    if not rows:
        return []
    expired = _past_horizon(conn, rows)
    storable = [row for row, old in zip(rows, expired, strict=True) if not old]
    stmt = _insert_ignoring_duplicates(conn).returning(mentions.c.source_id, mentions.c.external_id)
    stored = {(s, e): id_ for id_, s, e in conn.execute(stmt, storable)} if storable else {}
    ids = [
        None if old else stored.pop((row["source_id"], row["external_id"]), None)
        for row, old in zip(rows, expired, strict=True)
    ]
    links = [
        {"mention_id": mention_id, "brand_id": brand_id, "matched_terms": terms}
        for mention_id, by_brand in zip(ids, brand_terms, strict=True)
        if mention_id is not None
        for brand_id, terms in by_brand.items()
    ]
    if links:
        conn.execute(sa.insert(mention_brands), links)
    # The rollups change in the same transaction as the mentions: statistics never count a mention twice or miss one.
    add_to_rollups(
        conn,
        rows=[(row, by_brand) for row, mention_id, by_brand in zip(rows, ids, brand_terms, strict=True) if mention_id],
    )
    return ids


@dataclass(slots=True)
class MentionFilter:
    """Filters of the mentions list; None means no filter."""

    brand_id: int | None = None
    source_id: int | None = None
    lang: str | None = None
    sentiment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None  # already normalised (lower case, no accents)
    min_risk: int | None = None
    complaint: bool | None = None


def _filtered(stmt: sa.Select, workspace_id: int, f: MentionFilter) -> sa.Select:
    stmt = stmt.where(mentions.c.workspace_id == workspace_id)
    if f.brand_id is not None:
        # A correlated EXISTS, not `id IN (subquery)`: SQLite would build the brand's whole id list (hundreds of
        # thousands of ids) for every page; this probes pk_mention_brands for each row the feed index walks.
        linked = sa.exists().where(
            mention_brands.c.mention_id == mentions.c.id, mention_brands.c.brand_id == f.brand_id
        )
        stmt = stmt.where(linked)
    if f.source_id is not None:
        stmt = stmt.where(mentions.c.source_id == f.source_id)
    if f.lang is not None:
        stmt = stmt.where(mentions.c.lang == f.lang)
    if f.sentiment is not None:
        stmt = stmt.where(mentions.c.sentiment_label == f.sentiment)
    if f.since is not None:
        stmt = stmt.where(mentions.c.published_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(mentions.c.published_at < f.until)
    if f.min_risk is not None:
        stmt = stmt.where(mentions.c.risk >= f.min_risk)
    if f.complaint is not None:
        stmt = stmt.where(mentions.c.complaint.is_(f.complaint))
    if f.search:
        escaped = f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(mentions.c.search_text.like(f"%{escaped}%", escape="\\"))
    return stmt


def list_mentions(
    conn: sa.Connection,
    *,
    workspace_id: int,
    filters: MentionFilter,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[dict[str, Any]]:
    """Mentions newest first (published_at, id), strictly after the keyset cursor `after` when given."""
    stmt = _filtered(sa.select(mentions), workspace_id, filters)
    if after is not None:
        at, last_id = after
        # `published_at <= at` is the bound the index can seek to; the OR alone is only a filter, and a deep page
        # would scan every newer row (bench/api.py: 137 ms at page 501 of 1M mentions, 2 ms with the bound).
        stmt = stmt.where(
            mentions.c.published_at <= at,
            sa.or_(mentions.c.published_at < at, sa.and_(mentions.c.published_at == at, mentions.c.id < last_id)),
        )
    stmt = stmt.order_by(mentions.c.published_at.desc(), mentions.c.id.desc()).limit(limit)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    attach_brands(conn, rows)
    return rows


def get_mention(conn: sa.Connection, *, workspace_id: int, mention_id: int) -> dict[str, Any] | None:
    """One mention with the brands it matched, or None."""
    stmt = sa.select(mentions).where(mentions.c.workspace_id == workspace_id, mentions.c.id == mention_id)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    rows = [dict(row)]
    attach_brands(conn, rows)
    return rows[0]


def attach_brands(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["brands"] = []
    if not by_id:
        return
    stmt = (
        sa.select(mention_brands.c.mention_id, brands.c.id, brands.c.name, mention_brands.c.matched_terms)
        .join(brands, brands.c.id == mention_brands.c.brand_id)
        .where(mention_brands.c.mention_id.in_(list(by_id)))
        .order_by(brands.c.id)
    )
    for mention_id, brand_id, name, terms in conn.execute(stmt):
        by_id[mention_id]["brands"].append({"id": brand_id, "name": name, "matched_terms": terms})


def count_mentions(conn: sa.Connection, *, workspace_id: int) -> int:
    """How many mentions the workspace holds."""
    stmt = sa.select(sa.func.count()).select_from(mentions).where(mentions.c.workspace_id == workspace_id)
    return conn.execute(stmt).scalar_one()


def brand_mention_points(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """What detection needs of a brand's mentions published in [since, until], oldest first.

    The scan walks the workspace's window on ix_mentions_feed and checks the brand with EXISTS: joining from the
    brand's links instead made SQLite read every mention the brand ever had, so the cost grew with history
    (bench/growth.py: 1M stored mentions, 564 -> 166 ms)."""
    stmt = (
        sa.select(
            mentions.c.id,
            mentions.c.published_at,
            mentions.c.source_id,
            mentions.c.author,
            mentions.c.author_reach,
            mentions.c.sentiment_label,
            mentions.c.complaint,
            mentions.c.risk,
            mentions.c.scores,
            mentions.c.engagement,
        )
        .where(
            mentions.c.workspace_id == workspace_id,
            mentions.c.published_at >= since,
            mentions.c.published_at <= until,
            sa.exists().where(mention_brands.c.mention_id == mentions.c.id, mention_brands.c.brand_id == brand_id),
        )
        .order_by(mentions.c.published_at, mentions.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def new_mention_brands(conn: sa.Connection, *, after_id: int | None) -> tuple[set[int], int]:
    """Brands with mentions stored after mention `after_id`, and the latest mention id (None: none are new,
    the latest id is the starting point)."""
    latest = conn.execute(sa.select(sa.func.max(mentions.c.id))).scalar() or 0
    if after_id is None or latest <= after_id:
        return set(), latest
    stmt = (
        sa.select(mention_brands.c.brand_id)
        .where(mention_brands.c.mention_id > after_id, mention_brands.c.mention_id <= latest)
        .distinct()
    )
    return set(conn.execute(stmt).scalars()), latest


def brand_sentiment_counts(conn: sa.Connection, *, brand_id: int, since: datetime, until: datetime) -> dict[str, int]:
    """Mentions of a brand published in [since, until), by sentiment label ("" for unscored)."""
    stmt = (
        sa.select(mentions.c.sentiment_label, sa.func.count())
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(mention_brands.c.brand_id == brand_id, mentions.c.published_at >= since, mentions.c.published_at < until)
        .group_by(mentions.c.sentiment_label)
    )
    return {label or "": n for label, n in conn.execute(stmt)}
