"""A finding in one sentence a CM can read on a phone at 22:00, in French or English.

    Acme — storm (critical). Score 87 — 340 mentions/h over the last 15 min vs 25 expected on a Tuesday
    14:00; 71 % negative vs 18 % usual; 'remboursement' ×9; 2 authors > 100k followers.

French follows French typography: a narrow no-break space before « ; », « : » and « % » and inside
guillemets, so that a phone never wraps "71" away from its "%".
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.detection.findings import Finding

NNBSP = "\u202f"
_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_WORDS = {
    "en": {
        "storm": "storm", "high_risk_mention": "high-risk mention", "silence": "silence",
        "info": "info", "warning": "warning", "critical": "critical",
    },
    "fr": {
        "storm": "bad buzz en formation", "high_risk_mention": "mention à haut risque", "silence": "silence",
        "info": "info", "warning": "alerte", "critical": "critique",
    },
}  # fmt: skip


def _number(value: float, lang: str) -> str:
    """12, 3.5 / 3,5: one decimal only under 10, where it carries meaning."""
    text = f"{value:.1f}" if value < 10 and value != int(value) else f"{value:,.0f}"
    return text.replace(",", NNBSP).replace(".", ",") if lang == "fr" else text


def _reach(value: int, lang: str) -> str:
    """250k, 1.2M / 250 k, 1,2 M."""
    if value >= 1_000_000:
        text, unit = f"{value / 1_000_000:.1f}".removesuffix(".0"), "M"
    elif value >= 1_000:
        text, unit = f"{value / 1_000:.0f}", "k"
    else:
        return str(value)
    return f"{text.replace('.', ',')}{NNBSP}{unit}" if lang == "fr" else f"{text}{unit}"


def _percent(share: float, lang: str) -> str:
    return f"{share * 100:.0f}{NNBSP}%" if lang == "fr" else f"{share * 100:.0f} %"


def _quote(term: str, lang: str) -> str:
    return f"«{NNBSP}{term}{NNBSP}»" if lang == "fr" else f"'{term}'"


def _big_authors(facts: dict, lang: str) -> str | None:
    """'2 authors > 100k followers': the highest power of ten that at least one big author passes."""
    reaches = [r for _, r in facts.get("big_authors", [])]
    base = facts.get("big_author_reach", 10_000)
    if not reaches or not facts.get("big_author_count"):
        return None
    threshold = base
    while threshold * 10 <= max(reaches):
        threshold *= 10
    count = facts["big_author_count"] if threshold == base else sum(r >= threshold for r in reaches)
    if lang == "fr":
        return f"{count} auteur{'s' if count > 1 else ''} > {_reach(threshold, lang)} abonnés"
    return f"{count} author{'s' if count > 1 else ''} > {_reach(threshold, lang)} followers"


def _span(minutes: int, lang: str) -> str:
    """ "the last 15 min" / « les 15 dernières minutes », "the last hour", "the last 3 h"."""
    if lang == "fr":
        if minutes == 60:
            return "la dernière heure"
        unit = "heures" if minutes % 60 == 0 else "minutes"
        return f"les {minutes // 60 if unit == 'heures' else minutes} dernières {unit}"
    if minutes == 60:
        return "the last hour"
    return f"the last {minutes // 60} h" if minutes % 60 == 0 else f"the last {minutes} min"


def _storm(finding: Finding, lang: str) -> list[str]:
    f = finding.facts
    day = _WEEKDAYS[lang][f["weekday"]]
    rate, expected = _number(f["rate_per_hour"], lang), _number(f["expected_per_hour"], lang)
    span = _span(f["window_minutes"], lang)
    share, usual = _percent(f["negative_share"], lang), _percent(f["usual_negative_share"], lang)
    if lang == "fr":
        attendues = "attendues" if f["expected_per_hour"] >= 2 else "attendue"
        parts = [f"{rate} mentions/h sur {span} contre {expected} {attendues} un {day} à {f['hour']:02d}:00",
                 f"{share} négatives contre {usual} d'habitude"]  # fmt: skip
    else:
        parts = [f"{rate} mentions/h over {span} vs {expected} expected on a {day} {f['hour']:02d}:00",
                 f"{share} negative vs {usual} usual"]  # fmt: skip
    if f["top_terms"]:
        parts.append(", ".join(f"{_quote(term, lang)} ×{count}" for term, count in f["top_terms"][:3]))
    if authors := _big_authors(f, lang):
        parts.append(authors)
    velocity = finding.component("velocity")
    if velocity is not None and velocity.contribution > 0:
        pace = _number(round(velocity.value, 1), lang)
        parts.append(f"en accélération (×{pace})" if lang == "fr" else f"accelerating (×{pace})")
    if f.get("volume_only"):
        parts.append("surtout du volume, peu de négativité" if lang == "fr" else "mostly volume, little negativity")
    if f.get("thin_history"):
        parts.append("historique encore court" if lang == "fr" else "short history so far")
    return parts


def _high_risk(finding: Finding, lang: str, tz: str) -> list[str]:
    f = finding.facts
    at = datetime.fromisoformat(f["published_at"]).astimezone(ZoneInfo(tz)).strftime("%H:%M")
    who, terms = f["author"] or "?", ", ".join(_quote(t, lang) for t in f["terms"])
    others = f.get("authors", 1) - 1
    if lang == "fr":
        parts = [f"{who} ({_reach(f['reach'], lang)} abonnés) à {at}{NNBSP}: {terms}", f"risque {f['risk']}"]
        if others:
            s = "s" if others > 1 else ""
            parts.append(f"et {others} autre{s} compte{s} influent{s}")
        return parts
    parts = [f"{who} ({_reach(f['reach'], lang)} followers) at {at}: {terms}", f"risk {f['risk']}"]
    if others:
        parts.append(f"and {others} other large account{'s' if others > 1 else ''}")
    return parts


def _mentions(count: int, lang: str) -> str:
    """0 mention / 0 mentions: French is singular under two."""
    plural = count >= 2 if lang == "fr" else count != 1
    return f"{count} mention{'s' if plural else ''}"


def _silence(finding: Finding, lang: str, tz: str) -> list[str]:
    f = finding.facts
    since = finding.window_start.astimezone(ZoneInfo(tz)).strftime("%H:%M")
    scope, others = f["scope"], f.get("others")
    span, expected = _number(f["window_minutes"] / 60, lang), _number(f["expected"], lang)
    observed = _mentions(f["observed"], lang)
    if lang == "fr":
        what = "la marque" if scope == "brand" else scope.replace("source:", "source ")
        text = f"{what}{NNBSP}: {observed} depuis {since} ({span}{NNBSP}h) contre {expected} attendues"
        if others is not None:
            text += f", alors que les autres sources en ont apporté {others}"
        return [text, "un collecteur est peut-être en panne"]
    what = "the brand" if scope == "brand" else scope.replace("source:", "source ")
    text = f"{what}: {observed} since {since} ({span} h) vs {expected} expected"
    if others is not None:
        text += f", while the other sources brought {others}"
    return [text, "a collector may be down"]


def explain(finding: Finding, *, lang: str, brand: str, tz: str) -> str:
    """One line: brand, kind and severity, score, then the facts that make it, in French ("fr") or English."""
    lang = "fr" if lang.lower().startswith("fr") else "en"
    words = _WORDS[lang]
    if finding.kind == "storm":
        parts = _storm(finding, lang)
    elif finding.kind == "high_risk_mention":
        parts = _high_risk(finding, lang, tz)
    else:
        parts = _silence(finding, lang, tz)
    sep = f"{NNBSP}; " if lang == "fr" else "; "
    head = f"{brand} — {words[finding.kind]} ({words[finding.severity]}). Score {finding.score} — "
    return head + sep.join(parts) + "."
