"""A report's figures, pure: counts per brand and per local day, sentiment, share of voice, incidents and their
response times, each with the previous period's value and the change. The result is plain JSON (stored in
`reports.data`), so that a stored report renders again exactly as it was made."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from app import stats

DATA_VERSION = 1
TOP_TERMS = 8
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """What the database says about one period (current or previous)."""

    since: datetime
    until: datetime
    bounds: list[datetime]  # local day boundaries (app.stats.bucket_bounds)
    cells: list[dict[str, Any]]  # counts per brand and 15-minute (or minute) cell
    incidents: list[dict[str, Any]]  # opened in the period (app.storage.stats.incidents_for_response)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Everything a report is made of, read by app.reports.create_report."""

    workspace: dict[str, Any]
    language: str
    trigger: str
    tz: ZoneInfo
    current: PeriodFacts
    previous: PeriodFacts
    brands: list[dict[str, Any]]  # id, name, is_competitor
    made_at: datetime
    terms: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # scores and matched terms per brand
    mentions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # riskiest mentions per brand


def compare(value: float | None, previous: float | None) -> dict[str, Any]:
    """A figure with its previous value, the change and the change in % (None when there is nothing to divide
    by: a figure that was 0 or unknown)."""
    change = None if value is None or previous is None else round(value - previous, 4)
    pct = round(100 * change / previous, 1) if change is not None and previous else None
    return {"value": value, "previous": previous, "change": change, "change_pct": pct}


def _by_brand(facts: PeriodFacts) -> dict[int, list[dict[str, int]]]:
    """Each brand's counts per local day."""
    cells: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cell in facts.cells:
        cells[cell["brand_id"]].append(cell)
    return {brand_id: stats.fill_buckets(facts.bounds, rows) for brand_id, rows in cells.items()}


def _total(days: list[dict[str, int]]) -> dict[str, int]:
    total = stats.zero_counts()
    for counts in days:
        stats.add_cell(total, counts)
    return total


def _figures(total: dict[str, int]) -> dict[str, float]:
    n = total["mentions"]
    return {
        "mentions": n,
        **{s: total[s] for s in SENTIMENTS},
        "negative_share": stats.share(total["negative"], n),
        "avg_risk": round(total["risk_sum"] / n, 1) if n else 0.0,
    }


def _top_terms(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The crisis terms found in the brand's mentions (their risk reasons), as GET /stats/top?by=terms counts them."""
    return [
        {"term": x["term"], "mentions": x["mentions"]}
        for x in stats.top_terms(rows, TOP_TERMS)
        if x["kind"] == "crisis"
    ]


def _mention(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": (row.get("title") or "")[:300],
        "text": (row.get("text") or "")[:400],
        "url": row.get("url"),
        "author": row.get("author"),
        "source": row.get("source_name"),
        "risk": row.get("risk") or 0,
        "sentiment": row.get("sentiment"),
        "published_at": row["published_at"].isoformat(),
    }


def _brand(facts: ReportFacts, brand: dict[str, Any], now: dict, before: dict, totals: tuple[int, int]) -> dict:
    days = now.get(brand["id"]) or [stats.zero_counts() for _ in facts.current.bounds[:-1]]
    prev_days = before.get(brand["id"]) or [stats.zero_counts() for _ in facts.previous.bounds[:-1]]
    cur, prev = _figures(_total(days)), _figures(_total(prev_days))
    share = stats.share(cur["mentions"], totals[0])
    prev_share = stats.share(prev["mentions"], totals[1])
    return {
        "id": brand["id"],
        "name": brand["name"],
        "competitor": bool(brand["is_competitor"]),
        **{name: compare(cur[name], prev[name]) for name in cur},
        "share_of_voice": compare(share, prev_share),
        "daily": [d["mentions"] for d in days],
        "daily_negative": [d["negative"] for d in days],
        "daily_previous": [d["mentions"] for d in prev_days],
        "top_terms": _top_terms(facts.terms.get(brand["id"], [])),
        "top_mentions": [_mention(m) for m in facts.mentions.get(brand["id"], [])],
    }


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds(), 1)


def _incident(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "brand": row.get("brand_name"),
        "kind": row["kind"],
        "severity": row["severity"],
        "status": row["status"],
        "opened_at": row["opened_at"].isoformat(),
        "ack_s": _seconds(row["opened_at"], row["acknowledged_at"]),
        "resolve_s": _seconds(row["opened_at"], row["resolved_at"]),
    }


def _median(values: list[float | None]) -> float | None:
    seen = [v for v in values if v is not None]
    return round(median(seen), 1) if seen else None


def _incidents(current: list[dict[str, Any]], previous: list[dict[str, Any]]) -> dict[str, Any]:
    items, before = [_incident(r) for r in current], [_incident(r) for r in previous]
    severities = Counter(i["severity"] for i in items)
    return {
        "count": compare(len(items), len(before)),
        "by_severity": {s: severities.get(s, 0) for s in ("critical", "warning", "info")},
        "median_ack_s": compare(_median([i["ack_s"] for i in items]), _median([i["ack_s"] for i in before])),
        "median_resolve_s": compare(
            _median([i["resolve_s"] for i in items]), _median([i["resolve_s"] for i in before])
        ),
        "unacknowledged": sum(1 for i in items if i["ack_s"] is None),
        "items": items,
    }


def _period(facts: PeriodFacts, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "start": facts.since.astimezone(tz).isoformat(),
        "end": facts.until.astimezone(tz).isoformat(),
        "days": [b.astimezone(tz).date().isoformat() for b in facts.bounds[:-1]],
    }


def _totals(brands: list[dict[str, Any]]) -> dict[str, Any]:
    """The workspace's own brands together (competitors apart)."""
    own = [b for b in brands if not b["competitor"]]

    def summed(name: str, which: str) -> int:
        return sum(b[name][which] for b in own)

    out = {}
    for which in ("value", "previous"):
        n = summed("mentions", which)
        out[which] = {
            "mentions": n,
            "negative_share": stats.share(summed("negative", which), n),
            "avg_risk": round(sum(b["avg_risk"][which] * b["mentions"][which] for b in own) / n, 1) if n else 0.0,
        }
    return {name: compare(out["value"][name], out["previous"][name]) for name in out["value"]}


def assemble_report(facts: ReportFacts) -> dict[str, Any]:
    """The report's figures as plain JSON."""
    now, before = _by_brand(facts.current), _by_brand(facts.previous)
    totals = (
        sum(c["mentions"] for c in facts.current.cells),
        sum(c["mentions"] for c in facts.previous.cells),
    )
    brands = [_brand(facts, b, now, before, totals) for b in facts.brands]
    tz = facts.tz
    return {
        "version": DATA_VERSION,
        "workspace": {"id": facts.workspace["id"], "name": facts.workspace["name"]},
        "language": facts.language,
        "trigger": facts.trigger,
        "timezone": tz.key,
        "made_at": facts.made_at.astimezone(tz).isoformat(),
        "period": _period(facts.current, tz),
        "previous_period": _period(facts.previous, tz),
        "totals": _totals(brands),
        "brands": brands,
        "incidents": _incidents(facts.current.incidents, facts.previous.incidents),
    }
