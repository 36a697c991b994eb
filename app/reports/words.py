"""The report's wording in French and English, and its numbers, percentages, durations and dates as each
language writes them ("1 234" and "12,5 %" with narrow no-break spaces in French; "1,234" and "12.5%" in English)."""

from __future__ import annotations

import math
from datetime import date

from alerts.delivery.message import KIND_LABELS, NNBSP, SEVERITY_LABELS, WORDS

MINUS = "\u2212"  # a real minus sign: "−3" reads better than "-3" and never wraps away from its number

TEXT = {
    "en": {
        "title": "Weekly report",
        "title_custom": "Report",
        "period": "Period",
        "compared": "compared with",
        "summary": "At a glance",
        "mentions": "Mentions",
        "negative_share": "Negative",
        "avg_risk": "Average risk",
        "incidents": "Incidents",
        "median_ack": "Median time to acknowledge",
        "median_resolve": "Median time to resolve",
        "unacknowledged": "never acknowledged",
        "volume": "Mentions per day",
        "sentiment": "Sentiment by brand",
        "share_of_voice": "Share of voice",
        "share": "Share",
        "brand": "Brand",
        "brands": "Brands",
        "competitor": "competitor",
        "previous": "Previous period",
        "previous_short": "before",
        "change": "Change",
        "top_terms": "Crisis terms",
        "top_mentions": "Riskiest mentions",
        "risk": "risk",
        "incident_list": "Incidents opened",
        "opened": "Opened",
        "kind": "Kind",
        "severity": "Severity",
        "status": "Status",
        "ack": "Acknowledged after",
        "resolve": "Resolved after",
        "not_yet": "not yet",
        "no_incidents": "No incident opened in the period.",
        "no_brands": "No brand monitored yet.",
        "no_mentions": "No mention in the period.",
        "new": "new",
        "same": "unchanged",
        "points": "pts",
        "open_full": "Open the full report (charts, incidents, mentions)",
        "footer": "Made by Vigie for {workspace} on {made}. Times are in {timezone}.",
        "subject": "[Vigie] Weekly report {period} — {mentions}, {incidents}",
        "subject_custom": "[Vigie] Report {period} — {mentions}, {incidents}",
        "mention_n": ("mention", "mentions"),
        "incident_n": ("incident", "incidents"),
        "expected": "Previous period",
        "none": "–",
        "sentiments": WORDS["en"]["sentiments"],
        "statuses": WORDS["en"]["statuses"],
        "severities": {k: v.capitalize() for k, v in SEVERITY_LABELS["en"].items()},
        "kinds": KIND_LABELS["en"],
        "days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        "months": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"),
    },
    "fr": {
        "title": "Rapport hebdomadaire",
        "title_custom": "Rapport",
        "period": "Période",
        "compared": "comparée à",
        "summary": "En bref",
        "mentions": "Mentions",
        "negative_share": "Négatives",
        "avg_risk": "Risque moyen",
        "incidents": "Incidents",
        "median_ack": "Délai médian de prise en charge",
        "median_resolve": "Délai médian de résolution",
        "unacknowledged": "jamais pris en charge",
        "volume": "Mentions par jour",
        "sentiment": "Sentiment par marque",
        "share_of_voice": "Part de voix",
        "share": "Part",
        "brand": "Marque",
        "brands": "Marques",
        "competitor": "concurrent",
        "previous": "Période précédente",
        "previous_short": "avant",
        "change": "Évolution",
        "top_terms": "Termes de crise",
        "top_mentions": "Mentions les plus à risque",
        "risk": "risque",
        "incident_list": "Incidents ouverts",
        "opened": "Ouvert",
        "kind": "Type",
        "severity": "Gravité",
        "status": "Statut",
        "ack": "Pris en charge après",
        "resolve": "Résolu après",
        "not_yet": "pas encore",
        "no_incidents": "Aucun incident ouvert sur la période.",
        "no_brands": "Aucune marque suivie pour l'instant.",
        "no_mentions": "Aucune mention sur la période.",
        "new": "nouveau",
        "same": "stable",
        "points": "pts",
        "open_full": "Ouvrir le rapport complet (graphiques, incidents, mentions)",
        "footer": "Rapport préparé par Vigie pour {workspace} le {made}. Heures de {timezone}.",
        "subject": "[Vigie] Rapport hebdomadaire {period} — {mentions}, {incidents}",
        "subject_custom": "[Vigie] Rapport {period} — {mentions}, {incidents}",
        "mention_n": ("mention", "mentions"),
        "incident_n": ("incident", "incidents"),
        "expected": "Période précédente",
        "none": "–",
        "sentiments": WORDS["fr"]["sentiments"],
        "statuses": WORDS["fr"]["statuses"],
        "severities": {"info": "Info", "warning": "Alerte", "critical": "Critique"},
        "kinds": KIND_LABELS["fr"],
        "days": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
        "months": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                   "octobre", "novembre", "décembre"),
    },
}  # fmt: skip


def lang_of(language: str | None) -> str:
    """'fr' or 'en' (anything not French reads English)."""
    return "fr" if (language or "").lower().startswith("fr") else "en"


def number(value: float | None, lang: str, decimals: int = 0) -> str:
    """1 234 / 1,234; with decimals 3,5 / 3.5. None and non-finite values are a dash."""
    if value is None or not math.isfinite(value):
        return "–"
    rounded = round(value, decimals)
    text = f"{abs(rounded):,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return (MINUS if rounded < 0 else "") + text


def percent(share: float | None, lang: str, decimals: int = 1) -> str:
    """A share (0-1) as 12,5 % / 12.5%."""
    if share is None or not math.isfinite(share):
        return "–"
    text = number(share * 100, lang, decimals)
    return f"{text}{NNBSP}%" if lang == "fr" else f"{text}%"


def signed(text: str, value: float) -> str:
    """+12 / −12 (zero has no sign)."""
    if value > 0:
        return "+" + text
    return text if text.startswith(MINUS) or value == 0 else MINUS + text


def duration(seconds: float | None, lang: str) -> str:
    """45 s, 12 min, 2 h 05, 3 j 4 h (French) / 45s, 12m, 2h 05m, 3d 4h (English)."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = max(0, round(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    fr = lang == "fr"
    if days:
        return f"{days}{NNBSP}j {hours}{NNBSP}h" if fr else f"{days}d {hours}h"
    if hours:
        return f"{hours}{NNBSP}h{NNBSP}{minutes:02d}" if fr else f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}{NNBSP}min" if fr else f"{minutes}m"
    return f"{secs}{NNBSP}s" if fr else f"{secs}s"


def day_label(day: date, lang: str) -> str:
    """'lun. 16' / 'Mon 16': an x-axis label."""
    return f"{TEXT[lang]['days'][day.weekday()]} {day.day}"


def long_date(day: date, lang: str) -> str:
    """'16 novembre 2026' / '16 November 2026'."""
    return f"{day.day} {TEXT[lang]['months'][day.month - 1]} {day.year}"


def period_label(first: date, last: date, lang: str) -> str:
    """The days a period covers, both included: '16–22 novembre 2026', '30 novembre – 6 décembre 2026'."""
    months = TEXT[lang]["months"]
    if first == last:
        return long_date(first, lang)
    if first.year != last.year:
        return f"{long_date(first, lang)} – {long_date(last, lang)}"
    if first.month != last.month:
        return f"{first.day} {months[first.month - 1]} – {long_date(last, lang)}"
    return f"{first.day}–{long_date(last, lang)}"


def plural(n: int, forms: tuple[str, str], lang: str) -> str:
    """'1 mention', '0 mention' (French: 0 and 1 are singular), '0 mentions' (English)."""
    one = n in (0, 1) if lang == "fr" else n == 1
    return f"{number(n, lang)} {forms[0] if one else forms[1]}"
