"""Curation in the database: blocklist entries, spam/irrelevant marks, manual sentiment. Plain SQL, no policy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db.schema import brand_blocklist, mention_brands, mention_curations, mentions
from app.storage.rollups import rebuild_rollups

_EPSILON = timedelta(microseconds=1)  # rebuild_rollups' `until` is exclusive


def blocklist_entries(conn: sa.Connection, *, workspace_id: int) -> dict[int, list[tuple[str, str]]]:
    """Every brand's blocklist as (kind, value) pairs, by brand id."""
    stmt = sa.select(brand_blocklist.c.brand_id, brand_blocklist.c.kind, brand_blocklist.c.value).where(
        brand_blocklist.c.workspace_id == workspace_id
    )
    entries: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for brand_id, kind, value in conn.execute(stmt):
        entries[brand_id].append((kind, value))
    return dict(entries)


def list_blocks(conn: sa.Connection, *, workspace_id: int, brand_id: int) -> list[dict[str, Any]]:
    """A brand's blocklist entries, oldest first."""
    stmt = (
        sa.select(brand_blocklist)
        .where(brand_blocklist.c.workspace_id == workspace_id, brand_blocklist.c.brand_id == brand_id)
        .order_by(brand_blocklist.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def add_block(
    conn: sa.Connection,
    *,
    workspace_id: int,
    brand_id: int,
    kind: str,
    value: str,
    now: datetime,
    mention_id: int | None = None,
) -> tuple[dict[str, Any], bool]:
    """Add an entry (already normalised); returns it and whether it is new (an existing one is returned as is)."""
    where = (brand_blocklist.c.brand_id == brand_id, brand_blocklist.c.kind == kind, brand_blocklist.c.value == value)
    existing = conn.execute(sa.select(brand_blocklist).where(*where)).mappings().first()
    if existing is not None:
        return dict(existing), False
    values = dict(workspace_id=workspace_id, brand_id=brand_id, kind=kind, value=value, mention_id=mention_id)
    row = conn.execute(sa.insert(brand_blocklist).values(**values, created_at=now).returning(brand_blocklist))
    return dict(row.mappings().one()), True


def delete_block(conn: sa.Connection, *, workspace_id: int, brand_id: int, block_id: int) -> bool:
    """Remove an entry; False when it is not this brand's."""
    stmt = sa.delete(brand_blocklist).where(
        brand_blocklist.c.id == block_id,
        brand_blocklist.c.brand_id == brand_id,
        brand_blocklist.c.workspace_id == workspace_id,
    )
    return conn.execute(stmt).rowcount > 0


def curated_out(conn: sa.Connection, *, mention_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(mention id, brand id) pairs marked spam or irrelevant: re-matching never links them again."""
    ids = list(mention_ids)
    if not ids:
        return set()
    stmt = sa.select(mention_curations.c.mention_id, mention_curations.c.brand_id).where(
        mention_curations.c.mention_id.in_(ids)
    )
    return {(m, b) for m, b in conn.execute(stmt)}


def mark_out(
    conn: sa.Connection,
    *,
    workspace_id: int,
    mention: dict[str, Any],
    brand_ids: list[int],
    mark: str,
    key_name: str | None,
    now: datetime,
) -> None:
    """Record the mark for each brand and remove the mention's links to them (rollups recounted)."""
    for brand_id in brand_ids:
        conn.execute(
            sa.delete(mention_curations).where(
                mention_curations.c.mention_id == mention["id"], mention_curations.c.brand_id == brand_id
            )
        )
        conn.execute(
            sa.insert(mention_curations).values(
                workspace_id=workspace_id,
                mention_id=mention["id"],
                brand_id=brand_id,
                mark=mark,
                key_name=key_name,
                created_at=now,
            )
        )
    unlink(conn, mention_id=mention["id"], brand_ids=brand_ids)
    recount(conn, brand_ids=brand_ids, published_at=[mention["published_at"]])


def clear_marks(conn: sa.Connection, *, mention_id: int, brand_ids: list[int]) -> int:
    """Forget the spam/irrelevant marks of a mention for these brands; returns how many there were."""
    stmt = sa.delete(mention_curations).where(
        mention_curations.c.mention_id == mention_id, mention_curations.c.brand_id.in_(brand_ids)
    )
    return conn.execute(stmt).rowcount


def brand_links(conn: sa.Connection, *, mention_ids: list[int]) -> dict[int, set[int]]:
    """The brands each mention is linked to (mentions without a link are absent)."""
    links: dict[int, set[int]] = defaultdict(set)
    if mention_ids:
        stmt = sa.select(mention_brands.c.mention_id, mention_brands.c.brand_id).where(
            mention_brands.c.mention_id.in_(mention_ids)
        )
        for mention_id, brand_id in conn.execute(stmt):
            links[mention_id].add(brand_id)
    return dict(links)


def update_scores(conn: sa.Connection, *, mention_id: int, values: dict[str, Any]) -> None:
    """Store a mention's new scores (re-scoring)."""
    conn.execute(sa.update(mentions).where(mentions.c.id == mention_id).values(**values))


def unlink(conn: sa.Connection, *, mention_id: int, brand_ids: Iterable[int]) -> int:
    """Remove a mention's links to brands (the caller recounts the rollups)."""
    ids = list(brand_ids)
    if not ids:
        return 0
    stmt = sa.delete(mention_brands).where(
        mention_brands.c.mention_id == mention_id, mention_brands.c.brand_id.in_(ids)
    )
    return conn.execute(stmt).rowcount


def link(conn: sa.Connection, *, mention_id: int, terms: dict[int, list[str]]) -> None:
    """Add a mention's links to brands with the terms each matched (the caller recounts the rollups)."""
    if terms:
        rows = [{"mention_id": mention_id, "brand_id": b, "matched_terms": t} for b, t in terms.items()]
        conn.execute(sa.insert(mention_brands), rows)


def recount(conn: sa.Connection, *, brand_ids: Iterable[int], published_at: list[datetime]) -> None:
    """Recount the rollup buckets of `brand_ids` that cover the given publication times."""
    if not published_at:
        return
    since, until = min(published_at), max(published_at)
    for brand_id in set(brand_ids):
        rebuild_rollups(conn, brand_id=brand_id, since=since, until=until + _EPSILON)


def set_manual_sentiment(
    conn: sa.Connection, *, mention_id: int, label: str | None, model_label: str | None, now: datetime
) -> None:
    """Store a person's sentiment (it becomes the mention's label), or clear it and restore `model_label`."""
    values: dict[str, Any]
    if label is None:
        values = {"sentiment_manual": None, "sentiment_corrected_at": None, "sentiment_label": model_label}
    else:
        values = {"sentiment_manual": label, "sentiment_corrected_at": now, "sentiment_label": label}
    conn.execute(sa.update(mentions).where(mentions.c.id == mention_id).values(**values))


def corrected_mentions(conn: sa.Connection, *, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """Mentions whose sentiment a person corrected, oldest correction first (labelled data for the evaluation)."""
    stmt = sa.select(
        mentions.c.id,
        mentions.c.workspace_id,
        mentions.c.title,
        mentions.c.text,
        mentions.c.lang,
        mentions.c.sentiment_manual,
        mentions.c.sentiment_corrected_at,
        mentions.c.scores,
    ).where(mentions.c.sentiment_manual.is_not(None))
    if workspace_id is not None:
        stmt = stmt.where(mentions.c.workspace_id == workspace_id)
    stmt = stmt.order_by(mentions.c.sentiment_corrected_at, mentions.c.id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def mention_marks(conn: sa.Connection, *, mention_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The spam/irrelevant marks of these mentions (brand id, mark, who, when), by mention id, oldest first."""
    ids = list(mention_ids)
    marks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        stmt = (
            sa.select(mention_curations).where(mention_curations.c.mention_id.in_(ids)).order_by(mention_curations.c.id)
        )
        for row in conn.execute(stmt).mappings():
            marks[row["mention_id"]].append(dict(row))
    return dict(marks)
