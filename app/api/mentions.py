"""/api/v1/mentions: the filtered, paginated mentions list, and pushing mentions in."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, ReadConn, SettingsDep, WorkspaceId, WriteConn
from app.api.errors import Problem, not_found
from app.curation import CurationError, correct_sentiment, mark_mention
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
    sentiment: dict[str, Any] = Field(
        description="`compound` in [-1, 1] and `label` (positive, neutral, negative); `manual` is the label a person "
        "set (it wins over the model and is null when nobody corrected it), `corrected_at` when"
    )
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


class MentionPatch(BaseModel):
    """A person's correction of a mention."""

    model_config = ConfigDict(extra="forbid")

    sentiment: Literal["positive", "neutral", "negative"] | None = Field(
        description="The right sentiment; null removes the correction and gives the model's label back"
    )


class MarkIn(BaseModel):
    """Mark a mention spam or irrelevant for a brand (or every brand it matched), or relevant again."""

    model_config = ConfigDict(extra="forbid")

    mark: Literal["spam", "irrelevant", "relevant"]
    brand: int | None = Field(None, ge=1, le=2**31 - 1, description="The brand; default: every brand it matched")
    block_author: bool | None = Field(
        None, description="Add the author to the brand's blocklist (default: true for spam, false otherwise)"
    )
    block_domain: bool = Field(False, description="Add the mention's web domain to the brand's blocklist")
    block_terms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Terms whose mentions are never about the brand"
    )


class BlockOut(BaseModel):
    id: int
    brand_id: int
    kind: Literal["author", "domain", "term"]
    value: str
    mention_id: int | None
    created_at: datetime


class MarkOut(BaseModel):
    mention_id: int
    mark: str
    brand_ids: list[int] = Field(description="The brands the mark applies to")
    blocked: list[BlockOut] = Field(description="New blocklist entries")
    relinked: list[int] = Field(description="Brands linked again by a `relevant` mark")
    still_blocked: dict[str, str] = Field(description="Brands a `relevant` mark could not link again, and why")
    reprocess_job: int | None = Field(
        description="The background job that applies the new entries to stored mentions (GET /reprocess/{id})"
    )


class PushOut(BaseModel):
    received: int
    new: int
    duplicate: int
    unmatched: int
    mention_ids: list[int]


def mention_out(row: dict[str, Any]) -> MentionOut:
    sentiment = {
        "compound": row["sentiment_compound"],
        "label": row["sentiment_label"],
        "manual": row.get("sentiment_manual"),
        "corrected_at": row.get("sentiment_corrected_at"),
    }
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


@router.patch("/{mention_id}", response_model=MentionOut)
def correct_mention(mention_id: int, patch: MentionPatch, conn: WriteConn, workspace_id: WorkspaceId) -> MentionOut:
    """Correct a mention's sentiment by hand. The correction wins over the model, survives re-scoring, counts in
    statistics and detection, and is exported as labelled data (`vigie labels export`)."""
    row = correct_sentiment(
        conn, workspace_id=workspace_id, mention_id=mention_id, label=patch.sentiment, now=utcnow()
    )
    if row is None:
        raise not_found("mention", mention_id)
    return mention_out(row)


@router.post("/{mention_id}/mark", response_model=MarkOut)
def mark(mention_id: int, body: MarkIn, conn: WriteConn, caller: CallerDep) -> MarkOut:
    """Mark a mention spam or irrelevant: it leaves the brand's lists, statistics and detection, and its author
    (spam), domain or terms can be added to the brand's blocklist, applied to stored mentions in the background.
    `relevant` undoes a mark."""
    block_author = body.block_author if body.block_author is not None else body.mark == "spam"
    try:
        result = mark_mention(
            conn,
            workspace_id=caller.workspace_id,
            mention_id=mention_id,
            mark=body.mark,
            brand_id=body.brand,
            block_author=block_author and body.mark != "relevant",
            block_domain=body.block_domain and body.mark != "relevant",
            block_terms=body.block_terms if body.mark != "relevant" else [],
            key_name=caller.name,
            now=utcnow(),
        )
    except CurationError as exc:
        raise Problem(422, "Cannot mark this mention", str(exc)) from None
    if result is None:
        raise not_found("mention", mention_id)
    return MarkOut(
        mention_id=result.mention_id,
        mark=result.mark,
        brand_ids=result.brand_ids,
        blocked=[BlockOut(**b) for b in result.blocked],
        relinked=result.relinked,
        still_blocked={str(k): v for k, v in result.still_blocked.items()},
        reprocess_job=result.job_id,
    )


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
