"""Mention rollups: each brand's mention counts per 15-minute bucket (UTC), added to at ingest and rebuilt from the
mentions when they go away (a deleted source), so that statistics over weeks never scan every mention. The hourly
and daily levels (app.storage.rollup_levels) follow every change; periods already purged keep their counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db.schema import brands, mention_brands, mention_rollups, mentions
from app.storage.rollup_levels import COUNTS, add_to_levels, derive_levels, rollup_scopes, upsert_counts

ROLLUP_SECONDS = 15 * 60
_SENTIMENTS = ("negative", "neutral", "positive")


def bucket_of(at: datetime) -> datetime:
    """The start of the 15-minute bucket (UTC) holding `at`."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def is_on_bucket(at: datetime) -> bool:
    """True when `at` is the start of a 15-minute bucket."""
    return bucket_of(at) == at


def _ceil_bucket(at: datetime) -> datetime:
    start = bucket_of(at)
    return start if start == at else start + timedelta(seconds=ROLLUP_SECONDS)


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def add_to_rollups(conn: sa.Connection, *, rows: Iterable[tuple[dict[str, Any], Iterable[int]]]) -> None:
    """Count newly stored mentions (each row with the ids of the brands it matched) into the rollups, in the
    caller's transaction."""
    cells: dict[tuple[int, datetime], dict[str, int]] = {}
    workspace_of: dict[int, int] = {}
    for row, brand_ids in rows:
        for brand_id in brand_ids:
            workspace_of[brand_id] = row["workspace_id"]
            c = cells.setdefault((brand_id, bucket_of(row["published_at"])), _zero())
            c["mentions"] += 1
            if row.get("sentiment_label") in _SENTIMENTS:
                c[row["sentiment_label"]] += 1
            c["complaints"] += 1 if row.get("complaint") else 0
            c["risk_sum"] += row.get("risk") or 0
            c["risk_max"] = max(c["risk_max"], row.get("risk") or 0)
    if not cells:
        return
    # Sorted by key: two workers upserting overlapping buckets lock the rows in the same order, never deadlock.
    values = [
        {"workspace_id": workspace_of[brand_id], "brand_id": brand_id, "bucket_start": at, **counts}
        for (brand_id, at), counts in sorted(cells.items())
    ]
    conn.execute(upsert_counts(conn, mention_rollups), values)
    add_to_levels(conn, cells=cells, workspace_of=workspace_of)


def bucket_expression(conn: sa.Connection, column: sa.ColumnElement, seconds: int) -> sa.ColumnElement:
    """SQL for the start of the `seconds`-long bucket (UTC, from the epoch) holding `column`, as the database
    stores a UTC datetime (PostgreSQL: timestamptz; SQLite: the text SQLAlchemy writes, microseconds included)."""
    if conn.dialect.name == "postgresql":
        return sa.func.to_timestamp(sa.func.floor(sa.extract("epoch", column) / seconds) * seconds)
    epoch = sa.cast(sa.func.strftime("%s", column), sa.Integer)
    return sa.func.strftime("%Y-%m-%d %H:%M:%S.000000", epoch // seconds * seconds, "unixepoch")


def count_columns() -> list[sa.ColumnElement]:
    """The rollup counts as SQL aggregates over mentions: a recount and a raw read count exactly alike."""
    sentiments = [
        sa.func.sum(sa.case((mentions.c.sentiment_label == label, 1), else_=0)).label(label) for label in _SENTIMENTS
    ]
    return [
        sa.func.count().label("mentions"),
        *sentiments,
        sa.func.sum(sa.case((mentions.c.complaint, 1), else_=0)).label("complaints"),
        sa.func.sum(sa.func.coalesce(mentions.c.risk, 0)).label("risk_sum"),
        sa.func.coalesce(sa.func.max(mentions.c.risk), 0).label("risk_max"),
    ]


def rebuild_rollups(
    conn: sa.Connection, *, brand_id: int, since: datetime | None = None, until: datetime | None = None
) -> None:
    """Recount a brand's rollups from its stored mentions (every bucket, or the buckets touching [since, until)), then
    its hourly and daily rollups from the 15-minute ones. Buckets before the workspace's purge horizon keep their
    counts: their mentions are gone, and a recount from what is left would lose them."""
    workspace_id = conn.execute(sa.select(brands.c.workspace_id).where(brands.c.id == brand_id)).scalar_one()
    scope = rollup_scopes(conn, workspace_ids=[workspace_id], lock=True)[workspace_id]
    horizon = scope.purged_before
    recount_since = since if horizon is None or (since is not None and since >= horizon) else horizon
    if recount_since is None or until is None or recount_since < until:
        _recount_quarters(conn, brand_id=brand_id, since=recount_since, until=until)
    derive_levels(conn, brand_id=brand_id, scope=scope, since=since, until=until)


def _recount_quarters(
    conn: sa.Connection, *, brand_id: int, since: datetime | None = None, until: datetime | None = None
) -> None:
    bucket = bucket_expression(conn, mentions.c.published_at, ROLLUP_SECONDS).label("bucket_start")
    select = (
        sa.select(mentions.c.workspace_id, mention_brands.c.brand_id, bucket, *count_columns())
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(mention_brands.c.brand_id == brand_id)
        .group_by(mentions.c.workspace_id, mention_brands.c.brand_id, bucket)
    )
    delete = sa.delete(mention_rollups).where(mention_rollups.c.brand_id == brand_id)
    if since is not None:
        since = bucket_of(since)
        select = select.where(mentions.c.published_at >= since)
        delete = delete.where(mention_rollups.c.bucket_start >= since)
    if until is not None:
        until = _ceil_bucket(until)
        select = select.where(mentions.c.published_at < until)
        delete = delete.where(mention_rollups.c.bucket_start < until)
    conn.execute(delete)
    columns = ["workspace_id", "brand_id", "bucket_start", *COUNTS]
    conn.execute(sa.insert(mention_rollups).from_select(columns, select))


def rebuild_all_rollups(conn: sa.Connection) -> None:
    """Recount the 15-minute rollups of every brand from the mentions: migration 0007, which predates the other
    levels and the purge (`vigie rollups rebuild` uses `rebuild_every_rollup`)."""
    for brand_id in conn.execute(sa.select(brands.c.id).order_by(brands.c.id)).scalars().all():
        _recount_quarters(conn, brand_id=brand_id)


def rebuild_every_rollup(conn: sa.Connection) -> None:
    """Recount every brand's rollups at every level (`vigie rollups rebuild`), purged periods kept as they are."""
    for brand_id in conn.execute(sa.select(brands.c.id).order_by(brands.c.id)).scalars().all():
        rebuild_rollups(conn, brand_id=brand_id)


def source_span(conn: sa.Connection, *, source_id: int) -> tuple[set[int], datetime | None, datetime | None]:
    """The brands a source's mentions matched and their publication span: what to recount once they are gone."""
    linked = (
        sa.select(mention_brands.c.brand_id)
        .join(mentions, mentions.c.id == mention_brands.c.mention_id)
        .where(mentions.c.source_id == source_id)
        .distinct()
    )
    brand_ids = set(conn.execute(linked).scalars())
    span = sa.select(sa.func.min(mentions.c.published_at), sa.func.max(mentions.c.published_at))
    first, last = conn.execute(span.where(mentions.c.source_id == source_id)).one()
    return brand_ids, first, last
