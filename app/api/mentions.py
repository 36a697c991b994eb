"""/api/v1/mentions: the filtered, paginated mentions list, and pushing mentions in."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.db.schema import utcnow
from app.intake import MentionIn
from app.pipeline import ingest_drafts
from app.query import normalize_text
from app.storage import mentions as store
from app.storage.sources import ensure_internal_source

router = APIRouter(prefix="/mentions", tags=["mentions"])
MAX_PUSH = 1000


class MatchedBrand(BaseModel):
    id: int
    name: str
    matched_terms: list[str]


class MentionOut(BaseModel):
    id: int
    source_id: int
    external_id: str
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    author: str | None
    author_reach: int | None
    engagement: dict[str, int]
    lang: str | None
    sentiment: dict[str, Any] = Field(description="`compound` in [-1, 1] and `label` (positive, neutral, negative)")
    complaint: bool = Field(description="Reports a service failure (negative for the brand even without emotion)")
    risk: int | None = Field(description="Crisis risk 0-100; `reasons.risk.signals` says what contributed")
    reasons: dict[str, Any] = Field(description="Why: language, sentiment words and rules, risk signals")
    brands: list[MatchedBrand]
    published_at: datetime
    published_estimated: bool
    fetched_at: datetime


class MentionPage(BaseModel):
    items: list[MentionOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next (older) page.")


class PushIn(BaseModel):
    mentions: list[MentionIn] = Field(min_length=1, max_length=MAX_PUSH)


class PushOut(BaseModel):
    received: int
    new: int
    duplicate: int
    unmatched: int
    mention_ids: list[int]


def mention_out(row: dict[str, Any]) -> MentionOut:
    sentiment = {"compound": row["sentiment_compound"], "label": row["sentiment_label"]}
    return MentionOut(**{**row, "sentiment": sentiment, "reasons": row["scores"]})


def encode_cursor(published_at: datetime, mention_id: int) -> str:
    raw = f"{published_at.astimezone(UTC).isoformat()}|{mention_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, mention_id = raw.rsplit("|", 1)
        return datetime.fromisoformat(at), int(mention_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(400, "Invalid cursor", "this cursor is not one Vigie gave; start again without it") from None


@router.get("", response_model=MentionPage)
def list_mentions(
    conn: ReadConn,
    workspace_id: WorkspaceId,
    settings: SettingsDep,
    brand: Annotated[int | None, Query(description="Brand id")] = None,
    source: Annotated[int | None, Query(description="Source id")] = None,
    lang: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
    sentiment: Literal["positive", "neutral", "negative"] | None = None,
    since: Annotated[datetime | None, Query(description="Published at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Published before (ISO 8601)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text search, case and accent blind")] = None,
    min_risk: Annotated[int | None, Query(ge=0, le=100, description="Crisis risk at least this")] = None,
    complaint: Annotated[bool | None, Query(description="Only complaints (true) or non-complaints (false)")] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    cursor: str | None = None,
) -> MentionPage:
    """Mentions, newest first, with keyset (cursor) pagination."""
    if limit > settings.api_page_max:
        raise Problem(422, "Invalid request", f"limit: at most {settings.api_page_max} per page")
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Problem(422, "Invalid request", f"{name}: add a time zone, e.g. 2026-10-03T21:00:00+02:00 or Z")
    filters = store.MentionFilter(
        brand_id=brand,
        source_id=source,
        lang=lang,
        sentiment=sentiment,
        since=since,
        until=until,
        search=normalize_text(q).strip() if q else None,
        min_risk=min_risk,
        complaint=complaint,
    )
    after = decode_cursor(cursor) if cursor else None
    rows = store.list_mentions(conn, workspace_id=workspace_id, filters=filters, limit=limit + 1, after=after)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1]["published_at"], page[-1]["id"]) if more else None
    return MentionPage(items=[mention_out(r) for r in page], next_cursor=next_cursor)


@router.get("/{mention_id}", response_model=MentionOut)
def get_mention(mention_id: int, conn: ReadConn, workspace_id: WorkspaceId) -> MentionOut:
    """One mention with its scores and the brands it matched."""
    row = store.get_mention(conn, workspace_id=workspace_id, mention_id=mention_id)
    if row is None:
        raise not_found("mention", mention_id)
    return mention_out(row)


@router.post("", response_model=PushOut, status_code=202)
def push_mentions(body: PushIn, conn: WriteConn, workspace_id: WorkspaceId) -> PushOut:
    """Push mentions from another tool through the same pipeline (dedup, matching, scoring)."""
    source = ensure_internal_source(conn, workspace_id=workspace_id, kind="api")
    report = ingest_drafts(
        conn,
        workspace_id=workspace_id,
        source_id=source["id"],
        drafts=[m.to_draft() for m in body.mentions],
        now=utcnow(),
    )
    return PushOut(
        received=report.fetched,
        new=report.new,
        duplicate=report.duplicate,
        unmatched=report.unmatched,
        mention_ids=report.mention_ids,
    )
