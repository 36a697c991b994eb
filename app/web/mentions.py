"""The mentions browser: the filters of GET /api/v1/mentions as a form (brand, source, language, sentiment, minimum
risk, time range, text search), newest first with an "older" link (the API's keyset cursor), each mention with its
scores and reasons; and one mention's card, which the page fetches again after a mark or a sentiment correction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.api.errors import Problem
from app.api.mentions import decode_cursor, encode_cursor
from app.db import reading
from app.query import normalize_text
from app.storage import mentions as store
from app.storage.brands import list_brands
from app.storage.curation import mention_marks
from app.storage.sources import list_sources
from app.web.access import WebUserDep
from app.web.highlight import highlight, reason_terms
from app.web.render import render
from app.websessions import WebUser

router = APIRouter()
PAGE = 25
LANGUAGES = ("fr", "en", "es", "de", "it", "nl", "pt")
SENTIMENTS = ("negative", "neutral", "positive")
Text = Annotated[str, Query(max_length=200)]


@dataclass(slots=True)
class FilterForm:
    """The filter form as typed (strings, so that the form shows them back), and what they mean."""

    brand: str = ""
    source: str = ""
    lang: str = ""
    sentiment: str = ""
    min_risk: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    errors: list[str] = field(default_factory=list)  # keys of the words saying which filter was ignored

    def query(self, **extra: str) -> str:
        """The query string of these filters (empty ones left out), plus `extra`."""
        values = {k: v for k, v in asdict(self).items() if k != "errors" and v}
        return urlencode({**values, **extra})

    @property
    def active(self) -> bool:
        return any(v for k, v in asdict(self).items() if k != "errors")


def _number(form: FilterForm, name: str, low: int, high: int) -> int | None:
    text = getattr(form, name).strip()
    if not text:
        return None
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    form.errors.append(f"filter_bad_{name}")
    return None


def _moment(form: FilterForm, name: str, tz: str) -> datetime | None:
    """A time from the form's datetime-local field (the workspace's local time) or an ISO 8601 instant."""
    text = getattr(form, name).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        form.errors.append(f"filter_bad_{name}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


def parse_filters(form: FilterForm, *, brand_ids: set[int], source_ids: set[int], tz: str) -> store.MentionFilter:
    """The storage filter of the form; a value that cannot be one (unknown brand, bad date) is ignored and named
    in `form.errors`, rather than answering an error page to a person who mistyped."""
    brand = _number(form, "brand", 1, 2**31 - 1)
    if brand is not None and brand not in brand_ids:
        form.errors.append("filter_bad_brand")
        brand = None
    source = _number(form, "source", 1, 2**31 - 1)
    if source is not None and source not in source_ids:
        form.errors.append("filter_bad_source")
        source = None
    lang = form.lang if len(form.lang) == 2 and form.lang.isalpha() and form.lang.islower() else None
    if form.lang and lang is None:
        form.errors.append("filter_bad_lang")
    if form.sentiment and form.sentiment not in SENTIMENTS:
        form.errors.append("filter_bad_sentiment")
    search = normalize_text(form.q).strip() if form.q.strip() else None
    return store.MentionFilter(
        brand_id=brand,
        source_id=source,
        lang=lang,
        sentiment=form.sentiment if form.sentiment in SENTIMENTS else None,
        since=_moment(form, "since", tz),
        until=_moment(form, "until", tz),
        search=search or None,
        min_risk=_number(form, "min_risk", 0, 100),
    )


def mention_cards(conn: sa.Connection, user: WebUser, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a mention's card shows: the stored row with its highlighted text, risk reasons, source name and
    spam/irrelevant marks (with the marked brands' names)."""
    brand_names = {b["id"]: b["name"] for b in list_brands(conn, workspace_id=user.workspace_id)}
    sources = {s["id"]: s for s in list_sources(conn, workspace_id=user.workspace_id)}
    marks = mention_marks(conn, mention_ids=[r["id"] for r in rows])
    cards = []
    for row in rows:
        source = sources.get(row["source_id"]) or {}
        cards.append(
            {
                **row,
                "highlighted": highlight(row["text"] or row["title"], reason_terms(row["scores"])),
                "risk_reasons": ((row["scores"] or {}).get("risk") or {}).get("signals") or [],
                "source_name": source.get("name"),
                "source_kind": source.get("kind"),
                "marks": [
                    {**m, "brand_name": brand_names.get(m["brand_id"], f"#{m['brand_id']}")}
                    for m in marks.get(row["id"], [])
                ],
            }
        )
    return cards


@router.get("/mentions", response_class=HTMLResponse)
def mentions_view(
    request: Request,
    user: WebUserDep,
    brand: Text = "",
    source: Text = "",
    lang: Text = "",
    sentiment: Text = "",
    min_risk: Text = "",
    since: Text = "",
    until: Text = "",
    q: Text = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Mentions newest first, filtered, a page at a time."""
    form = FilterForm(brand, source, lang, sentiment, min_risk, since, until, q)
    try:
        after = decode_cursor(cursor) if cursor else None
    except Problem:
        after = None  # a cursor mangled by hand: start again from the newest
    with reading(request.app.state.engine) as conn:
        brands = list_brands(conn, workspace_id=user.workspace_id)
        sources = list_sources(conn, workspace_id=user.workspace_id)
        filters = parse_filters(
            form, brand_ids={b["id"] for b in brands}, source_ids={s["id"] for s in sources}, tz=user.timezone
        )
        rows = store.list_mentions(conn, workspace_id=user.workspace_id, filters=filters, limit=PAGE + 1, after=after)
        cards = mention_cards(conn, user, rows[:PAGE])
    older = None
    if len(rows) > PAGE:
        older = "/mentions?" + form.query(cursor=encode_cursor(rows[PAGE - 1]["published_at"], rows[PAGE - 1]["id"]))
    return render(
        request,
        "mentions.html",
        user=user,
        nav="mentions",
        form=form,
        brands=brands,
        sources=sources,
        languages=LANGUAGES,
        sentiments=SENTIMENTS,
        cards=cards,
        brand_filter=filters.brand_id,
        older=older,
        newest="/mentions?" + form.query() if after else None,
    )


@router.get("/mentions/{mention_id}/card", response_class=HTMLResponse)
def mention_card(request: Request, mention_id: int, user: WebUserDep) -> HTMLResponse:
    """One mention's card, as the list shows it (fetched by the page's script after an action)."""
    with reading(request.app.state.engine) as conn:
        row = store.get_mention(conn, workspace_id=user.workspace_id, mention_id=mention_id)
        if row is None:
            return render(request, "not_found.html", user=user, status=404)
        card = mention_cards(conn, user, [row])[0]
    return render(request, "_mention.html", user=user, m=card, sentiments=SENTIMENTS)
