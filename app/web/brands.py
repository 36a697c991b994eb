"""The brand view: every brand with its last day against the usual (/brands), and one brand over 24 hours, 7 or
30 days (/brands/{id}): volume against the detection baseline, sentiment, negative share and mean risk against
the four weeks before, share of voice against the competitors, top sources, authors and terms, recent incidents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alerts.delivery.message import NNBSP
from app import stats
from app.db import reading
from app.db.schema import utcnow
from app.storage import incidents as incident_store
from app.storage import stats as stats_store
from app.storage.brands import get_brand, list_brands
from app.storage.mention_terms import latest_mention_terms
from app.storage.workspaces import get_workspace_by_id
from app.volume import brand_volume
from app.web import charts
from app.web.access import WebUserDep
from app.web.brand_figures import DEFAULT_PERIOD, PERIODS, BrandFigures, brand_figures, share_of_voice
from app.web.render import Formatter, render
from app.websessions import WebUser

router = APIRouter()
TOP = 8
TERMS_FROM = 5000  # top terms are counted over the latest mentions of the period: 30 busy days stay a fast page
RECENT_INCIDENTS = 10
CHART_WIDTH = 340  # drawn at a phone's width; the SVG scales down, never up (svg.chart max-width: 100%)


def _formatter(user: WebUser, now: datetime) -> Formatter:
    return Formatter(user.language, user.timezone, now)


def _brand_row(conn: sa.Connection, workspace: dict[str, Any], brand: dict[str, Any], now: datetime) -> dict[str, Any]:
    series = brand_volume(conn, workspace=workspace, brand=brand, until=now)
    mentions, negative = sum(series.counts), sum(series.negative)
    live = incident_store.live_incidents(conn, workspace_id=workspace["id"], brand_id=brand["id"])
    label = f"{brand['name']}: {mentions} / {round(sum(series.expected))}"
    return {
        "brand": brand,
        "mentions": mentions,
        "expected": round(sum(series.expected), 1),
        "negative_share": stats.share(negative, mentions),
        "live_incidents": len(live),
        "spark": charts.sparkline(
            [float(c) for c in series.counts], baseline=series.expected, label=label, width=160, height=36
        ),
    }


@router.get("/brands", response_class=HTMLResponse)
def brands_view(request: Request, user: WebUserDep) -> HTMLResponse:
    """Every brand of the workspace, own brands first, with its last 24 hours against the usual."""
    now = utcnow()
    with reading(request.app.state.engine) as conn:
        workspace = get_workspace_by_id(conn, workspace_id=user.workspace_id)
        brands = sorted(list_brands(conn, workspace_id=user.workspace_id), key=lambda b: (b["is_competitor"], b["id"]))
        rows = [_brand_row(conn, workspace, b, now) for b in brands]  # type: ignore[arg-type]
    fmt = _formatter(user, now)
    return render(request, "brands.html", user=user, nav="brands", rows=rows, pct=_share_text(fmt))


def _labels(figures: BrandFigures, interval: str, fmt: Formatter) -> list[str]:
    pattern = "%H:%M" if interval == "hour" else "%d/%m"
    return [fmt.local(b, pattern) for b in figures.bounds[:-1]]


def _percent(fmt: Formatter) -> Callable[[float], str]:
    """A percentage (0-100) as the person's language writes it: "12,5 %" or "12.5%"."""
    return lambda v: f"{fmt.number(v)}{NNBSP}%" if fmt.lang == "fr" else f"{fmt.number(v)}%"


def _share_text(fmt: Formatter) -> Callable[[float], str]:
    """A share (0-1) as a percentage."""
    percent = _percent(fmt)
    return lambda share: percent(share * 100)


def _charts(figures: BrandFigures, interval: str, fmt: Formatter, name: str) -> dict[str, Any]:
    """The four charts over time, at a phone's width."""
    t, labels, buckets, n = fmt.t, _labels(figures, interval, fmt), figures.buckets, len(figures.buckets)
    common = {"labels": labels, "width": CHART_WIDTH, "height": 190, "empty": t("brand_no_data")}
    volume = charts.line_chart(
        [(t("mentions_word"), [b["mentions"] for b in buckets])],
        baseline=figures.expected,
        title=f"{name}: {t('brand_chart_volume')}",
        baseline_label=t("brand_usual"),
        **common,
    )
    sentiment = charts.line_chart(
        [(t(f"sentiment_{k}"), [b[k] for b in buckets]) for k in ("negative", "neutral", "positive")],
        title=f"{name}: {t('brand_chart_sentiment')}",
        **common,
    )
    negative = charts.line_chart(
        [(t("brand_negative_share"), [b["negative_share"] * 100 if b["mentions"] else None for b in buckets])],
        baseline=[figures.usual["negative_share"] * 100] * n if figures.usual["mentions"] else None,
        title=f"{name}: {t('brand_chart_negative')}",
        baseline_label=t("brand_usual"),
        y_format=_percent(fmt),
        **common,
    )
    risk = charts.line_chart(
        [(t("brand_mean_risk"), [b["avg_risk"] if b["mentions"] else None for b in buckets])],
        baseline=[figures.usual["avg_risk"]] * n if figures.usual["mentions"] else None,
        title=f"{name}: {t('brand_chart_risk')}",
        baseline_label=t("brand_usual"),
        **common,
    )
    return {"volume": volume, "sentiment": sentiment, "negative": negative, "risk": risk}


def _share_chart(shares: list[dict[str, Any]], fmt: Formatter, name: str) -> Any:
    own = [s["name"] for s in shares if not s["is_competitor"]]
    return charts.share_bars(
        [(s["name"], s["mentions"]) for s in shares],
        title=f"{name}: {fmt.t('brand_share_of_voice')}",
        highlight=own,
        width=CHART_WIDTH,
        empty=fmt.t("brand_no_data"),
        percent_format=_share_text(fmt),
    )


def _tops(conn: sa.Connection, workspace_id: int, brand_id: int, since: datetime, until: datetime) -> dict[str, Any]:
    where = {"workspace_id": workspace_id, "brand_id": brand_id, "since": since, "until": until}
    return {
        "sources": stats_store.top_sources(conn, **where, limit=TOP),
        "authors": stats_store.top_authors(conn, **where, limit=TOP),
        "terms": stats.top_terms(latest_mention_terms(conn, **where, limit=TERMS_FROM), TOP),
    }


@router.get("/brands/{brand_id}", response_class=HTMLResponse)
def brand_page(request: Request, brand_id: int, user: WebUserDep, period: str = DEFAULT_PERIOD) -> HTMLResponse:
    """One brand over the chosen period against its baseline and its competitors."""
    now = utcnow()
    chosen = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    with reading(request.app.state.engine) as conn:
        brand = get_brand(conn, workspace_id=user.workspace_id, brand_id=brand_id)
        if brand is None:
            return render(request, "not_found.html", user=user, status=404)
        workspace = get_workspace_by_id(conn, workspace_id=user.workspace_id)
        figures = brand_figures(conn, workspace=workspace, brand=brand, period=chosen, now=now)  # type: ignore[arg-type]
        since, until = figures.bounds[0], figures.bounds[-1]
        shares = share_of_voice(conn, workspace_id=user.workspace_id, brand=brand, since=since, until=until)
        tops = _tops(conn, user.workspace_id, brand_id, since, until)
        incidents = incident_store.list_incidents(
            conn,
            workspace_id=user.workspace_id,
            filters=incident_store.IncidentFilter(brand_id=brand_id),
            limit=RECENT_INCIDENTS,
        )
    fmt = _formatter(user, now)
    return render(
        request,
        "brand.html",
        user=user,
        nav="brands",
        brand=brand,
        period=chosen.key,
        periods=list(PERIODS),
        figures=figures,
        charts=_charts(figures, chosen.interval, fmt, brand["name"]),
        shares=shares,
        share_chart=_share_chart(shares, fmt, brand["name"]),
        tops=tops,
        incidents=incidents,
        since=since,
        until=min(until, now),
        pct=_share_text(fmt),
        terms_sampled=figures.total["mentions"] > TERMS_FROM,
        terms_from=TERMS_FROM,
    )
