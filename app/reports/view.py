"""A report's figures as the templates show them: words and numbers in the report's language, changes with an
arrow and a tone (is up good or bad news?), and only safe links. Pure: stored data in, plain values out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from alerts.delivery.message import cut, http_url, one_line
from app.reports import words as w

Kind = Literal["count", "share", "risk", "duration"]
Good = Literal["up", "down", "none"]
MAX_INCIDENTS_MAIL = 10


def change(figure: dict[str, Any], kind: Kind, lang: str, good: Good = "none") -> dict[str, str]:
    """'+12,5 %' (counts), '+4,2 pts' (shares), '+3,1' (risk), '+1 h 05' (durations), with an arrow and a tone:
    'bad', 'good' or 'neutral' (the colour), and the previous value ('avant : 1 234')."""
    value, previous, delta = figure["value"], figure["previous"], figure["change"]
    t = w.TEXT[lang]
    colon = "\u202f:" if lang == "fr" else ":"
    before = f"{t['previous_short']}{colon} {_format(previous, kind, lang)}"
    if delta is None:
        return {"text": t["none"] if value is None else t["new"], "arrow": "", "tone": "neutral", "before": before}
    if kind == "count" and not previous:
        text = t["new"] if value else t["same"]
    elif delta == 0:
        text = t["same"]
    elif kind == "count":
        text = w.signed(w.number(abs(figure["change_pct"]), lang, 1 if abs(figure["change_pct"]) < 10 else 0), delta)
        text += "\u202f%" if lang == "fr" else "%"
    elif kind == "share":
        text = f"{w.signed(w.number(abs(delta) * 100, lang, 1), delta)}\u00a0{t['points']}"
    elif kind == "duration":
        text = w.signed(w.duration(abs(delta), lang), delta)
    else:
        text = w.signed(w.number(abs(delta), lang, 1), delta)
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else ""
    tone = "neutral" if good == "none" or delta == 0 else "good" if (delta > 0) == (good == "up") else "bad"
    return {"text": text, "arrow": arrow, "tone": tone, "before": before}


def _format(value: float | None, kind: Kind, lang: str) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return w.percent(value, lang)
    if kind == "duration":
        return w.duration(value, lang)
    return w.number(value, lang, 1 if kind == "risk" else 0)


def _days(period: dict[str, Any]) -> tuple[date, date]:
    start, end = datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["end"])
    return start.date(), (end - timedelta(microseconds=1)).date()


def _kpi(label: str, figure: dict[str, Any], kind: Kind, lang: str, good: Good) -> dict[str, Any]:
    return {"label": label, "value": _format(figure["value"], kind, lang), "change": change(figure, kind, lang, good)}


def _brand(brand: dict[str, Any], lang: str, biggest: int) -> dict[str, Any]:
    t = w.TEXT[lang]
    n = brand["mentions"]["value"]
    split = {s: brand[s]["value"] for s in ("negative", "neutral", "positive")}
    return {
        "name": one_line(brand["name"]),
        "competitor": brand["competitor"],
        "mentions": w.number(n, lang),
        "mentions_change": change(brand["mentions"], "count", lang),
        "negative_share": w.percent(brand["negative_share"]["value"], lang),
        # A competitor's bad week is neither good nor bad news here: its changes stay neutral.
        "negative_change": change(brand["negative_share"], "share", lang, "none" if brand["competitor"] else "down"),
        "avg_risk": w.number(brand["avg_risk"]["value"], lang, 1),
        "risk_change": change(brand["avg_risk"], "risk", lang, "none" if brand["competitor"] else "down"),
        "share": w.percent(brand["share_of_voice"]["value"], lang),
        "share_change": change(brand["share_of_voice"], "share", lang, "none" if brand["competitor"] else "up"),
        "split": split,
        "split_pct": {s: round(100 * v / n) if n else 0 for s, v in split.items()},
        "split_text": ", ".join(
            f"{t['sentiments'][s]} {w.percent(v / n if n else 0, lang, 0)}" for s, v in split.items()
        ),
        "bar_pct": round(100 * n / biggest) if biggest else 0,
        "share_pct": round(100 * (brand["share_of_voice"]["value"] or 0)),
        "terms": [(one_line(x["term"]), w.number(x["mentions"], lang)) for x in brand["top_terms"]],
        "mentions_list": [_mention(m, lang) for m in brand["top_mentions"]],
        "daily": brand["daily"],
        "daily_previous": brand["daily_previous"],
    }


def _mention(m: dict[str, Any], lang: str) -> dict[str, Any]:
    title, text = one_line(m["title"]), one_line(m["text"])
    return {
        "title": cut(title or text, 160),
        "excerpt": cut(text, 240) if title and not text.startswith(title) else "",
        "url": http_url(m["url"]),
        "meta": " · ".join(
            x
            for x in (
                one_line(m["source"] or ""),
                one_line(m["author"] or ""),
                f"{w.TEXT[lang]['risk']} {m['risk']}",
                w.TEXT[lang]["sentiments"].get(m["sentiment"] or "", ""),
            )
            if x
        ),
    }


def _incident(item: dict[str, Any], lang: str, tz: ZoneInfo) -> dict[str, Any]:
    t = w.TEXT[lang]
    opened = datetime.fromisoformat(item["opened_at"]).astimezone(tz)
    return {
        "id": item["id"],
        "brand": one_line(item["brand"] or "–"),
        "kind": t["kinds"].get(item["kind"], item["kind"]),
        "severity": item["severity"],
        "severity_label": t["severities"].get(item["severity"], item["severity"]),
        "status": t["statuses"].get(item["status"], item["status"]),
        "opened": f"{w.day_label(opened.date(), lang)} {opened:%H:%M}",
        "ack": w.duration(item["ack_s"], lang) if item["ack_s"] is not None else t["not_yet"],
        "resolve": w.duration(item["resolve_s"], lang) if item["resolve_s"] is not None else t["not_yet"],
    }


def report_view(data: dict[str, Any], *, report_url: str | None = None) -> dict[str, Any]:
    """Everything the page, the e-mail and its text part show, in the report's language."""
    lang = w.lang_of(data["language"])
    t, tz = w.TEXT[lang], ZoneInfo(data["timezone"])
    first, last = _days(data["period"])
    prev_first, prev_last = _days(data["previous_period"])
    weekly = (last - first).days == 6
    totals, incidents = data["totals"], data["incidents"]
    biggest = max([b["mentions"]["value"] for b in data["brands"]], default=0)
    brands = [_brand(b, lang, biggest) for b in data["brands"]]
    made = datetime.fromisoformat(data["made_at"])
    period = w.period_label(first, last, lang)
    return {
        "lang": lang,
        "t": t,
        "title": t["title"] if weekly else t["title_custom"],
        "workspace": one_line(data["workspace"]["name"]),
        "period": period,
        "previous_period": w.period_label(prev_first, prev_last, lang),
        "days": [w.day_label(date.fromisoformat(d), lang) for d in data["period"]["days"]],
        "kpis": [
            _kpi(t["mentions"], totals["mentions"], "count", lang, "none"),
            _kpi(t["negative_share"], totals["negative_share"], "share", lang, "down"),
            _kpi(t["avg_risk"], totals["avg_risk"], "risk", lang, "down"),
            _kpi(t["incidents"], incidents["count"], "count", lang, "down"),
            _kpi(t["median_ack"], incidents["median_ack_s"], "duration", lang, "down"),
        ],
        "brands": brands,
        "own_brands": [b for b in brands if not b["competitor"]],
        "incidents": [_incident(i, lang, tz) for i in incidents["items"]],
        "incidents_mail": [_incident(i, lang, tz) for i in incidents["items"][:MAX_INCIDENTS_MAIL]],
        "incidents_more": max(0, len(incidents["items"]) - MAX_INCIDENTS_MAIL),
        "by_severity": [(t["severities"][s], n) for s, n in incidents["by_severity"].items() if n],
        "median_resolve": _kpi(t["median_resolve"], incidents["median_resolve_s"], "duration", lang, "down"),
        "unacknowledged": incidents["unacknowledged"],
        "subject": (t["subject"] if weekly else t["subject_custom"]).format(
            period=period,
            mentions=w.plural(totals["mentions"]["value"], t["mention_n"], lang),
            incidents=w.plural(incidents["count"]["value"], t["incident_n"], lang),
        ),
        "footer": t["footer"].format(
            workspace=one_line(data["workspace"]["name"]),
            made=f"{w.long_date(made.date(), lang)} {made:%H:%M}",
            timezone=data["timezone"],
        ),
        "report_url": http_url(report_url),
    }
