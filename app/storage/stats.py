"""Statistics queries: counts from the daily, hourly and 15-minute rollups or from the raw mentions (counted alike),
top authors, sources and terms, and incident response times. Ranges are [since, until) on the publication time, as in
the mentions list, so that a count here is the number of mentions the list returns (before the purge horizon: what the
list returned before the purge)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app import stats
from app.db.retention_schema import mention_rollups_daily, mention_rollups_hourly
from app.db.schema import UTCDateTime, brands, incidents, mention_brands, mention_rollups, mentions, sources
from app.stats_plan import ReadPlan, plan_reads
from app.storage.rollup_levels import rollup_scopes
from app.storage.rollups import COUNTS, bucket_expression, count_columns

RAW_CELL_SECONDS = 60  # raw mentions are counted per minute: the smallest bucket the API offers


def _in_range(workspace_id: int, brand_id: int | None, since: datetime, until: datetime) -> list[sa.ColumnElement]:
    where = [mentions.c.workspace_id == workspace_id, mentions.c.published_at >= since, mentions.c.published_at < until]
    if brand_id is not None:
        where.append(mention_brands.c.brand_id == brand_id)
    return where


LEVEL_TABLES = {"day": mention_rollups_daily, "hour": mention_rollups_hourly, "quarter": mention_rollups}


def rollup_cells(
    conn: sa.Connection,
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    brand_id: int | None = None,
    table: sa.Table = mention_rollups,
) -> list[dict[str, Any]]:
    """The rollup rows of the workspace (or of one brand) whose bucket starts in [since, until): `brand_id`,
    `at` (the bucket's UTC start) and the counts; 15-minute rows unless `table` says another level."""
    stmt = sa.select(table.c.brand_id, table.c.bucket_start.label("at"), *(table.c[n] for n in COUNTS)).where(
        table.c.workspace_id == workspace_id, table.c.bucket_start >= since, table.c.bucket_start < until
    )
    if brand_id is not None:
        stmt = stmt.where(table.c.brand_id == brand_id)  # the primary key (brand_id, bucket_start)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def raw_cells(
    conn: sa.Connection, *, workspace_id: int, since: datetime, until: datetime, brand_id: int | None = None
) -> list[dict[str, Any]]:
    """The same counts as `rollup_cells`, from the mentions published in [since, until), per brand and minute."""
    minute = sa.type_coerce(bucket_expression(conn, mentions.c.published_at, RAW_CELL_SECONDS), UTCDateTime())
    stmt = (
        sa.select(mention_brands.c.brand_id, minute.label("at"), *count_columns())
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(*_in_range(workspace_id, brand_id, since, until))
        .group_by(mention_brands.c.brand_id, minute)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def range_cells(
    conn: sa.Connection,
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    bounds: list[datetime],
    brand_id: int | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Counts of [since, until) for buckets `bounds`, each piece from the coarsest rollups that fit it (app.stats_plan)
    and the ragged ends from the mentions; and what was read (`daily_rollups`, `hourly_rollups`, `rollups`, `mentions`,
    and `rounded_to_15_minutes` when a ragged end lies before the purge horizon)."""
    for _ in range(3):
        scope = rollup_scopes(conn, workspace_ids=[workspace_id])[workspace_id]
        days = stats.bucket_bounds(since, until, "day", scope.tz)
        plan = plan_reads(since, until, bounds, days=days, purged_before=scope.purged_before)
        cells = _read(conn, plan, workspace_id=workspace_id, brand_id=brand_id)
        # PostgreSQL reads committed data statement by statement: a purge that moved the horizon meanwhile may have
        # taken mentions the plan read raw. Plan again with the new horizon (it moves once a day at most).
        if rollup_scopes(conn, workspace_ids=[workspace_id])[workspace_id].purged_before == scope.purged_before:
            break
    return cells, plan.read_from


def _read(conn: sa.Connection, plan: ReadPlan, *, workspace_id: int, brand_id: int | None) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = []
    where = {"workspace_id": workspace_id, "brand_id": brand_id}
    for level, table in LEVEL_TABLES.items():
        for a, b in plan.ranges[level]:
            cells += rollup_cells(conn, since=a, until=b, table=table, **where)
    for a, b in plan.ranges["raw"]:
        cells += raw_cells(conn, since=a, until=b, **where)
    return cells


def workspace_brands(conn: sa.Connection, *, workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's brands (id, name, is_competitor), by id."""
    stmt = sa.select(brands.c.id, brands.c.name, brands.c.is_competitor).where(brands.c.workspace_id == workspace_id)
    return [dict(r) for r in conn.execute(stmt.order_by(brands.c.id)).mappings()]


def top_authors(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """The authors with the most mentions of the brand in [since, until): mentions, max reach, negative ones."""
    negative = sa.func.sum(sa.case((mentions.c.sentiment_label == "negative", 1), else_=0))
    stmt = (
        sa.select(
            mentions.c.author,
            sa.func.count().label("mentions"),
            sa.func.max(mentions.c.author_reach).label("max_reach"),
            negative.label("negative"),
        )
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(*_in_range(workspace_id, brand_id, since, until), mentions.c.author.is_not(None))
        .group_by(mentions.c.author)
        .order_by(sa.func.count().desc(), mentions.c.author)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def top_sources(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """The sources with the most mentions of the brand in [since, until)."""
    stmt = (
        sa.select(sources.c.id, sources.c.name, sources.c.kind, sa.func.count().label("mentions"))
        .select_from(mentions)
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .join(sources, sources.c.id == mentions.c.source_id)
        .where(*_in_range(workspace_id, brand_id, since, until))
        .group_by(sources.c.id, sources.c.name, sources.c.kind)
        .order_by(sa.func.count().desc(), sources.c.id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def mention_terms(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The score reasons and the brand's matched terms of each of its mentions in [since, until)."""
    stmt = (
        sa.select(mentions.c.scores, mention_brands.c.matched_terms)
        .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
        .where(*_in_range(workspace_id, brand_id, since, until))
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def incidents_for_response(
    conn: sa.Connection, *, workspace_id: int, since: datetime, until: datetime, brand_id: int | None = None
) -> list[dict[str, Any]]:
    """Incidents opened in [since, until), oldest first, with what response times need."""
    stmt = (
        sa.select(
            incidents.c.id,
            incidents.c.brand_id,
            brands.c.name.label("brand_name"),
            incidents.c.kind,
            incidents.c.severity,
            incidents.c.status,
            incidents.c.resolution,
            incidents.c.opened_at,
            incidents.c.acknowledged_at,
            incidents.c.resolved_at,
        )
        .outerjoin(brands, brands.c.id == incidents.c.brand_id)
        .where(incidents.c.workspace_id == workspace_id, incidents.c.opened_at >= since, incidents.c.opened_at < until)
        .order_by(incidents.c.opened_at, incidents.c.id)
    )
    if brand_id is not None:
        stmt = stmt.where(incidents.c.brand_id == brand_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]
