"""/api/v1/stats: volume over time, share of voice, top authors, sources and terms, incident response times.

Counts agree with the mentions list (same brand, [since, until) on the publication time). Buckets are local to the
workspace's time zone (or `tz`). Whole local days, UTC hours and 15-minute periods are read from the rollups kept at
ingest, the rest (minute buckets, the ragged ends of a range) from the mentions; `read_from` says which. Rollups
outlive the purge of old mentions (retention): before the workspace's `purged_before`, ragged ends are rounded out to
whole 15-minute buckets, and minute buckets are refused.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app import stats
from app.api.deps import ReadConn, WorkspaceId
from app.api.errors import Problem, not_found
from app.storage import stats as store
from app.storage.brands import get_brand
from app.storage.workspaces import get_workspace_by_id

router = APIRouter(prefix="/stats", tags=["stats"])
Since = Annotated[datetime, Query(description="Published (or opened) at or after, ISO 8601 with a time zone")]
Until = Annotated[datetime, Query(description="Published (or opened) before, ISO 8601 with a time zone")]
Tz = Annotated[str | None, Query(max_length=64, description="IANA time zone of the buckets; default: the workspace's")]
MAX_TOP = 100
READ_FROM = (
    "What was read, coarsest first: `daily_rollups` (local days of the workspace), `hourly_rollups` (UTC hours), "
    "`rollups` (15 minutes), `mentions` (ragged ends); `rounded_to_15_minutes` when an end before `purged_before` "
    "was counted by whole 15-minute buckets"
)
PURGED = "Mentions published before this were purged (retention); their counts live on in the rollups"


class VolumeBucket(BaseModel):
    start: datetime = Field(description="Local start of the bucket, with its UTC offset")
    end: datetime
    mentions: int
    negative: int
    neutral: int
    positive: int
    negative_share: float
    complaints: int
    avg_risk: float
    max_risk: int


class VolumeOut(BaseModel):
    brand_id: int
    interval: str
    timezone: str
    since: datetime
    until: datetime
    read_from: list[str] = Field(description=READ_FROM)
    purged_before: datetime | None = Field(description=PURGED)
    total: VolumeBucket
    buckets: list[VolumeBucket]


class BrandShare(BaseModel):
    id: int
    name: str
    competitor: bool
    mentions: int
    share: float


class ShareBucket(BaseModel):
    start: datetime
    end: datetime
    mentions: int
    brands: list[BrandShare]


class ShareOut(BaseModel):
    interval: str | None
    timezone: str
    since: datetime
    until: datetime
    read_from: list[str] = Field(description=READ_FROM)
    purged_before: datetime | None = Field(description=PURGED)
    mentions: int = Field(description="Brand mentions: a mention of two brands counts for each")
    brands: list[BrandShare]
    buckets: list[ShareBucket]


class TopOut(BaseModel):
    brand_id: int
    by: str
    items: list[dict[str, Any]] = Field(
        description="authors: author, mentions, max_reach, negative; sources: id, name, kind, mentions; "
        "terms: term, kind (crisis or brand), mentions"
    )


class ResponseItem(BaseModel):
    id: int
    brand_id: int | None
    brand_name: str | None
    kind: str
    severity: str
    status: str
    resolution: str | None
    opened_at: datetime
    time_to_acknowledge_s: float | None
    time_to_resolve_s: float | None


class Percentiles(BaseModel):
    count: int
    median_s: float | None
    p90_s: float | None = Field(description="Nearest rank: 90% of the incidents took at most this long")


class ResponseOut(BaseModel):
    since: datetime
    until: datetime
    incidents: list[ResponseItem]
    time_to_acknowledge: Percentiles
    time_to_resolve: Percentiles


def _range(since: datetime, until: datetime, interval: str) -> None:
    try:
        stats.check_range(since, until, interval)
    except stats.StatsRangeError as exc:
        raise Problem(422, "Invalid request", str(exc)) from None


def _zone(conn: sa.Connection, workspace_id: int, tz: str | None) -> ZoneInfo:
    name = tz or get_workspace_by_id(conn, workspace_id=workspace_id)["timezone"]  # type: ignore[index]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Problem(422, "Invalid request", f"tz: unknown time zone {name!r}; use an IANA name") from None


def _purged_before(conn: sa.Connection, workspace_id: int, since: datetime, interval: str | None) -> datetime | None:
    horizon = get_workspace_by_id(conn, workspace_id=workspace_id)["purged_before"]  # type: ignore[index]
    if interval == "minute" and horizon is not None and since < horizon:
        raise Problem(
            422,
            "Invalid request",
            f"minute buckets are counted from the mentions themselves, and those published before "
            f"{horizon.isoformat()} were purged (the workspace's retention); use hour or day buckets there",
        )
    return horizon


def _own_brand(conn: sa.Connection, workspace_id: int, brand_id: int) -> None:
    if get_brand(conn, workspace_id=workspace_id, brand_id=brand_id) is None:
        raise not_found("brand", brand_id)


def _volume_bucket(start: datetime, end: datetime, counts: dict[str, int], tz: ZoneInfo) -> VolumeBucket:
    return VolumeBucket(start=start.astimezone(tz), end=end.astimezone(tz), **stats.volume_figures(counts))


@router.get("/volume", response_model=VolumeOut)
def volume(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    brand: Annotated[int, Query(description="Brand id")],
    since: Since,
    until: Until,
    interval: stats.Interval = "hour",
    tz: Tz = None,
) -> VolumeOut:
    """A brand's mentions per local minute, hour or day: counts by sentiment, complaints, risk. Empty buckets
    are zeros; the first and last buckets count only what lies within [since, until)."""
    _range(since, until, interval)
    zone = _zone(conn, workspace_id, tz)
    _own_brand(conn, workspace_id, brand)
    horizon = _purged_before(conn, workspace_id, since, interval)
    bounds = stats.bucket_bounds(since, until, interval, zone)
    cells, read_from = store.range_cells(
        conn, workspace_id=workspace_id, since=since, until=until, bounds=bounds, brand_id=brand
    )
    buckets = stats.fill_buckets(bounds, cells)
    total = stats.zero_counts()
    for counts in buckets:
        stats.add_cell(total, counts)
    return VolumeOut(
        brand_id=brand,
        interval=interval,
        timezone=zone.key,
        since=since,
        until=until,
        read_from=read_from,
        purged_before=horizon,
        total=_volume_bucket(since, until, total, zone),
        buckets=[_volume_bucket(a, b, c, zone) for a, b, c in zip(bounds, bounds[1:], buckets, strict=False)],
    )


def _shares(brand_rows: list[dict[str, Any]], counts: Counter[int]) -> tuple[int, list[BrandShare]]:
    total = sum(counts.values())
    return total, [
        BrandShare(
            id=b["id"],
            name=b["name"],
            competitor=b["is_competitor"],
            mentions=counts[b["id"]],
            share=stats.share(counts[b["id"]], total),
        )
        for b in brand_rows
    ]


@router.get("/share-of-voice", response_model=ShareOut)
def share_of_voice(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    since: Since,
    until: Until,
    interval: stats.Interval | None = None,
    tz: Tz = None,
) -> ShareOut:
    """Each brand's (competitors flagged) mentions and share of all brand mentions, overall and, with
    `interval`, per local bucket."""
    _range(since, until, interval or "day")
    zone = _zone(conn, workspace_id, tz)
    horizon = _purged_before(conn, workspace_id, since, interval)
    bounds = stats.bucket_bounds(since, until, interval, zone) if interval else [since, until]
    cells, read_from = store.range_cells(conn, workspace_id=workspace_id, since=since, until=until, bounds=bounds)
    brand_rows = store.workspace_brands(conn, workspace_id=workspace_id)
    per_bucket: list[Counter[int]] = [Counter() for _ in bounds[:-1]]
    for cell in cells:
        per_bucket[stats.bucket_index(bounds, cell["at"])][cell["brand_id"]] += cell["mentions"]
    total, shares = _shares(brand_rows, sum(per_bucket, Counter()))
    buckets = []
    for a, b, counts in zip(bounds, bounds[1:], per_bucket, strict=False) if interval else ():
        n, bucket_shares = _shares(brand_rows, counts)
        buckets.append(ShareBucket(start=a.astimezone(zone), end=b.astimezone(zone), mentions=n, brands=bucket_shares))
    return ShareOut(
        interval=interval,
        timezone=zone.key,
        since=since,
        until=until,
        read_from=read_from,
        purged_before=horizon,
        mentions=total,
        brands=shares,
        buckets=buckets,
    )


@router.get("/top", response_model=TopOut)
def top(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    brand: Annotated[int, Query(description="Brand id")],
    since: Since,
    until: Until,
    by: Literal["authors", "sources", "terms"] = "authors",
    limit: Annotated[int, Query(ge=1, le=MAX_TOP)] = 10,
) -> TopOut:
    """A brand's top authors (mentions, max reach, negative ones), sources, or terms (crisis terms found in the
    mentions' risk reasons, and the brand's query terms they matched: `limit` of each kind), read from the mentions:
    mentions purged by the workspace's retention are not counted."""
    _range(since, until, "hour")
    _own_brand(conn, workspace_id, brand)
    where = {"workspace_id": workspace_id, "brand_id": brand, "since": since, "until": until}
    if by == "authors":
        items = store.top_authors(conn, **where, limit=limit)
    elif by == "sources":
        items = store.top_sources(conn, **where, limit=limit)
    else:
        items = stats.top_terms(store.mention_terms(conn, **where), limit)
    return TopOut(brand_id=brand, by=by, items=items)


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds(), 3)


def _percentiles(values: list[float]) -> Percentiles:
    return Percentiles(
        count=len(values), median_s=median(values) if values else None, p90_s=stats.nearest_rank(values, 0.9)
    )


@router.get("/response", response_model=ResponseOut)
def response_times(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    since: Since,
    until: Until,
    brand: Annotated[int | None, Query(description="Brand id")] = None,
) -> ResponseOut:
    """Each incident opened in [since, until) with its time to acknowledge and to resolve (null: not yet),
    and the median and 90th percentile of both."""
    _range(since, until, "day")
    if brand is not None:
        _own_brand(conn, workspace_id, brand)
    rows = store.incidents_for_response(conn, workspace_id=workspace_id, since=since, until=until, brand_id=brand)
    items = [
        ResponseItem(
            **{k: r[k] for k in ("id", "brand_id", "brand_name", "kind", "severity", "status", "resolution")},
            opened_at=r["opened_at"],
            time_to_acknowledge_s=_seconds(r["opened_at"], r["acknowledged_at"]),
            time_to_resolve_s=_seconds(r["opened_at"], r["resolved_at"]),
        )
        for r in rows
    ]
    return ResponseOut(
        since=since,
        until=until,
        incidents=items,
        time_to_acknowledge=_percentiles(
            [i.time_to_acknowledge_s for i in items if i.time_to_acknowledge_s is not None]
        ),
        time_to_resolve=_percentiles([i.time_to_resolve_s for i in items if i.time_to_resolve_s is not None]),
    )
