"""Hourly and daily rollups: the 15-minute counts summed per UTC hour and per local day of the workspace's time zone.

They are kept at ingest, in the same transaction as the 15-minute rows, and derived again from those after a recount
or a change of time zone. The 15-minute rows are never purged: they are the exact base of every local day in any
zone (a +05:45 day starts at a quarter past the UTC hour), so the coarser levels can always be rebuilt from them,
even for periods whose mentions are gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db.retention_schema import mention_rollups_daily, mention_rollups_hourly
from app.db.schema import brands, mention_rollups, workspaces

COUNTS = ("mentions", "negative", "neutral", "positive", "complaints", "risk_sum", "risk_max")
HOUR = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class RollupScope:
    """What a workspace's rollups depend on: its time zone (local days) and how far the purge has gone."""

    workspace_id: int
    tz: ZoneInfo
    purged_before: datetime | None


def rollup_scopes(conn: sa.Connection, *, workspace_ids: Iterable[int], lock: bool = False) -> dict[int, RollupScope]:
    """The scope of each workspace. With `lock` (PostgreSQL: FOR SHARE), a change of time zone or a purge moving its
    horizon waits for this transaction, so that the rollups it writes are of the zone and horizon it read."""
    ids = sorted(set(workspace_ids))
    if not ids:
        return {}
    stmt = sa.select(workspaces.c.id, workspaces.c.timezone, workspaces.c.purged_before).where(workspaces.c.id.in_(ids))
    if lock:
        stmt = stmt.with_for_update(read=True)
    return {i: RollupScope(i, ZoneInfo(tz), purged) for i, tz, purged in conn.execute(stmt.order_by(workspaces.c.id))}


def floor_to(at: datetime, step: timedelta) -> datetime:
    """The start of the `step`-long UTC bucket (from the epoch) holding `at`."""
    return _EPOCH + (at - _EPOCH) // step * step


def ceil_to(at: datetime, step: timedelta) -> datetime:
    """The first `step` boundary at or after `at`."""
    start = floor_to(at, step)
    return start if start == at else start + step


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (a midnight skipped by DST is read with the old offset, as app.stats does)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def local_day(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, date]:
    """The local day holding `at`: its UTC start and end, and its date."""
    day = at.astimezone(tz).date()
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz), day


def zero() -> dict[str, int]:
    """Counts of an empty bucket."""
    return dict.fromkeys(COUNTS, 0)


def merge(counts: dict[str, int], cell: dict[str, Any]) -> None:
    """Add a cell's counts (sums, and the maximum risk) to `counts`."""
    for name in COUNTS:
        counts[name] = max(counts[name], cell[name] or 0) if name == "risk_max" else counts[name] + (cell[name] or 0)


def group_quarters(
    quarters: Iterable[dict[str, Any]], tz: ZoneInfo
) -> tuple[dict[datetime, dict[str, int]], dict[datetime, dict[str, Any]]]:
    """15-minute cells (`at` and counts) summed per UTC hour, and per local day of `tz` (with `bucket_end`, `day`)."""
    hours: dict[datetime, dict[str, int]] = {}
    days: dict[datetime, dict[str, Any]] = {}
    for cell in quarters:
        merge(hours.setdefault(floor_to(cell["at"], HOUR), zero()), cell)
        start, end, day = local_day(cell["at"], tz)
        if start not in days:
            days[start] = {"bucket_end": end, "day": day, **zero()}
        merge(days[start], cell)
    return hours, days


def upsert_counts(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding to the counts: SQLite (≥ 3.24) and PostgreSQL both have it."""
    postgres = conn.dialect.name == "postgresql"
    stmt = (postgresql if postgres else sqlite).insert(table)
    greatest = sa.func.greatest if postgres else sa.func.max  # SQLite's two-argument max() is a scalar function
    added = {name: table.c[name] + stmt.excluded[name] for name in COUNTS if name != "risk_max"}
    added["risk_max"] = greatest(table.c.risk_max, stmt.excluded.risk_max)
    return stmt.on_conflict_do_update(index_elements=["brand_id", "bucket_start"], set_=added)


def add_to_levels(
    conn: sa.Connection, *, cells: dict[tuple[int, datetime], dict[str, int]], workspace_of: dict[int, int]
) -> None:
    """Add new 15-minute counts (by brand and quarter) to the hourly and daily rollups, in the caller's transaction."""
    scopes = rollup_scopes(conn, workspace_ids=workspace_of.values(), lock=True)
    hourly: dict[tuple[int, datetime], dict[str, int]] = {}
    daily: dict[tuple[int, datetime], dict[str, Any]] = {}
    for (brand_id, at), counts in cells.items():
        merge(hourly.setdefault((brand_id, floor_to(at, HOUR)), zero()), counts)
        start, end, day = local_day(at, scopes[workspace_of[brand_id]].tz)
        if (brand_id, start) not in daily:
            daily[(brand_id, start)] = {"bucket_end": end, "day": day, **zero()}
        merge(daily[(brand_id, start)], counts)
    # Sorted by key, coarser tables after finer ones: concurrent writers lock rows in the same order, never deadlock.
    for table, rows in ((mention_rollups_hourly, hourly), (mention_rollups_daily, daily)):
        values = [
            {"workspace_id": workspace_of[brand_id], "brand_id": brand_id, "bucket_start": at, **counts}
            for (brand_id, at), counts in sorted(rows.items())
        ]
        if values:
            conn.execute(upsert_counts(conn, table), values)


def _quarter_cells(conn: sa.Connection, brand_id: int, since: datetime | None, until: datetime | None) -> list[dict]:
    stmt = sa.select(mention_rollups.c.bucket_start.label("at"), *(mention_rollups.c[n] for n in COUNTS)).where(
        mention_rollups.c.brand_id == brand_id
    )
    if since is not None:
        stmt = stmt.where(mention_rollups.c.bucket_start >= since)
    if until is not None:
        stmt = stmt.where(mention_rollups.c.bucket_start < until)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _replace(
    conn: sa.Connection, table: sa.Table, brand_id: int, workspace_id: int, rows: dict, span: tuple | None
) -> None:
    delete = sa.delete(table).where(table.c.brand_id == brand_id)
    if span is not None:
        delete = delete.where(table.c.bucket_start >= span[0], table.c.bucket_start < span[1])
        rows = {at: counts for at, counts in rows.items() if span[0] <= at < span[1]}
    conn.execute(delete)
    values = [
        {"workspace_id": workspace_id, "brand_id": brand_id, "bucket_start": at, **counts}
        for at, counts in sorted(rows.items())
    ]
    if values:
        conn.execute(sa.insert(table), values)


def derive_levels(
    conn: sa.Connection,
    *,
    brand_id: int,
    scope: RollupScope,
    since: datetime | None = None,
    until: datetime | None = None,
    hourly: bool = True,
) -> None:
    """Recompute a brand's hourly and daily rollups from its 15-minute rows: every one, or the whole hours and local
    days touching [since, until). `hourly=False` re-derives the days only (a change of time zone)."""
    hour_span = day_span = None
    if since is not None and until is not None:
        day_span = (local_day(since, scope.tz)[0], local_day(until - _INSTANT, scope.tz)[1])
        hour_span = (floor_to(min(since, day_span[0]), HOUR), ceil_to(max(until, day_span[1]), HOUR))
    read = hour_span or (None, None)
    hours, days = group_quarters(_quarter_cells(conn, brand_id, *read), scope.tz)
    if hourly:
        _replace(conn, mention_rollups_hourly, brand_id, scope.workspace_id, hours, hour_span)
    _replace(conn, mention_rollups_daily, brand_id, scope.workspace_id, days, day_span)


def rederive_days(conn: sa.Connection, *, workspace_id: int) -> None:
    """Re-derive every daily rollup of the workspace in its (new) time zone, from the 15-minute rows; the caller has
    just changed the zone in this transaction (which holds the workspace's row lock)."""
    scope = rollup_scopes(conn, workspace_ids=[workspace_id])[workspace_id]
    ids = conn.execute(sa.select(brands.c.id).where(brands.c.workspace_id == workspace_id).order_by(brands.c.id))
    for brand_id in ids.scalars().all():
        derive_levels(conn, brand_id=brand_id, scope=scope, hourly=False)
