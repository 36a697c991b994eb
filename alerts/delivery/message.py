"""What every channel renders: one incident notification as plain data, with its FR/EN wording.

The app builds an `IncidentMessage` from the database (incident, top mentions, links); webhook, Slack and
e-mail render it. Nothing in a message is a secret: the acknowledge link carries a signed single-use token
that only acknowledges this one incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote, urlsplit

EVENTS = (
    "incident.opened",
    "incident.updated",
    "incident.escalated",
    "incident.acknowledged",
    "incident.resolved",
)
TEST_EVENT = "vigie.test"  # POST /channels/{id}/test sends a sample incident with this type
# Why this notification is sent, beyond the event: a reminder of an unacknowledged incident carries the event
# "incident.updated"; an escalation step reaching the next person, "incident.escalated" (see alerts.routing).
Reason = Literal["first", "update", "severity", "reminder", "escalation", "acknowledged", "resolved", "test"]

SEVERITY_LABELS = {
    "en": {"info": "INFO", "warning": "WARNING", "critical": "CRITICAL"},
    "fr": {"info": "INFO", "warning": "ALERTE", "critical": "CRITIQUE"},
}
KIND_LABELS = {
    "en": {
        "storm": "storm of negative mentions",
        "high_risk_mention": "high-risk mention",
        "silence": "mentions stopped arriving",
    },
    "fr": {
        "storm": "tempête de mentions négatives",
        "high_risk_mention": "mention à haut risque",
        "silence": "les mentions n'arrivent plus",
    },
}

# The wording every channel shares (labels, and the line saying why a message is sent); channels add their own.
WORDS = {
    "en": {
        "severity": "Severity",
        "score": "Score",
        "peak": "peak",
        "mentions": "Mentions",
        "rate": "Peak rate",
        "per_hour": "mentions/h",
        "status": "Status",
        "opened": "Opened",
        "followers": "followers",
        "unknown_author": "Unknown author",
        "terms": "Crisis terms",
        "sentiment": "Sentiment",
        "more": "more mentions in the incident",
        "ack": "Acknowledge",
        "colon": ":",
        "statuses": {"open": "open", "acknowledged": "acknowledged", "resolved": "resolved"},
        "sentiments": {"negative": "negative", "neutral": "neutral", "positive": "positive"},
        "resolutions": {
            "auto": "back to normal",
            "handled": "handled",
            "false_positive": "false positive",
            "benign": "benign",
        },
        "first": "New incident.",
        "severity_change": "Severity is now {label}.",
        "reminder": "Reminder: this incident is still not acknowledged.",
        "escalation": "Escalation (step {step}): nobody has acknowledged this incident yet.",
        "acknowledged": "Acknowledged by {who}.",
        "acknowledged_anon": "Acknowledged.",
        "resolved": "Resolved ({resolution}).",
        "resolved_plain": "Resolved.",
        "test": "This is a test message from Vigie: there is no real incident.",
    },
    "fr": {
        "severity": "Gravité",
        "score": "Score",
        "peak": "pic",
        "mentions": "Mentions",
        "rate": "Pic de débit",
        "per_hour": "mentions/h",
        "status": "Statut",
        "opened": "Ouvert",
        "followers": "abonnés",
        "unknown_author": "Auteur inconnu",
        "terms": "Termes de crise",
        "sentiment": "Sentiment",
        "more": "autres mentions dans l'incident",
        "ack": "Prendre en charge",
        "colon": "\u202f:",
        "statuses": {"open": "ouvert", "acknowledged": "pris en charge", "resolved": "résolu"},
        "sentiments": {"negative": "négatif", "neutral": "neutre", "positive": "positif"},
        "resolutions": {
            "auto": "retour au calme",
            "handled": "traité",
            "false_positive": "faux positif",
            "benign": "sans gravité",
        },
        "first": "Nouvel incident.",
        "severity_change": "La gravité passe à {label}.",
        "reminder": "Rappel\u202f: cet incident n'est toujours pas pris en charge.",
        "escalation": "Escalade (niveau {step})\u202f: personne n'a encore pris en charge cet incident.",
        "acknowledged": "Pris en charge par {who}.",
        "acknowledged_anon": "Pris en charge.",
        "resolved": "Résolu ({resolution}).",
        "resolved_plain": "Résolu.",
        "test": "Ceci est un message de test de Vigie\u202f: aucun incident réel.",
    },
}


@dataclass(frozen=True, slots=True)
class MentionView:
    """One of the incident's top mentions, as a message shows it (untrusted text: channels escape it)."""

    title: str
    text: str  # the mention's text, possibly long: channels cut it to their limits
    url: str | None
    author: str | None
    author_reach: int | None
    sentiment: str | None  # "negative" | "neutral" | "positive"
    risk: int  # 0-100
    published_at: datetime
    source_name: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentMessage:
    """One notification about one incident, in the workspace's language."""

    message_id: str  # stable across retries of the same delivery: "msg_<delivery id>..."; webhook-id
    event: str  # one of EVENTS, or TEST_EVENT
    reason: Reason
    language: str  # "fr" | "en"
    workspace_name: str
    brand_name: str | None
    incident_id: int
    kind: str  # "storm" | "high_risk_mention" | "silence"
    severity: str  # "info" | "warning" | "critical"
    status: str  # "open" | "acknowledged" | "resolved"
    score: int
    peak_score: int
    mention_count: int
    peak_rate: float | None  # mentions per hour at the peak
    explanation: str  # detection's sentence, already in `language`
    opened_at: datetime
    updated_at: datetime
    incident_url: str  # opens the incident (API or web page)
    ack_url: str | None  # signed, expiring, single-use; None once acknowledged or resolved
    top_mentions: tuple[MentionView, ...] = ()
    top_terms: tuple[tuple[str, int], ...] = ()  # crisis term, mentions carrying it
    sentiment_split: dict[str, int] = field(default_factory=dict)  # {"negative": n, "neutral": n, "positive": n}
    resolved_at: datetime | None = None
    resolution: str | None = None  # auto | handled | false_positive | benign
    escalation_step: int = 0  # 0 for the first contacts, 1.. for each escalation step
    acknowledged_by: str | None = None

    def severity_label(self) -> str:
        """CRITIQUE / CRITICAL: the word a lock screen shows first."""
        return SEVERITY_LABELS[self.language][self.severity]

    def kind_label(self) -> str:
        """'tempête de mentions négatives' / 'storm of negative mentions'."""
        return KIND_LABELS[self.language][self.kind]

    def subject(self) -> str:
        """One line for a lock screen: `[CRITIQUE] Marque — tempête de mentions négatives (score 87)`.

        Resolved and acknowledged notifications say so first, so that they never read as a new page.
        """
        brand = self.brand_name or self.workspace_name
        prefix = ""
        if self.reason == "resolved":
            prefix = "[RÉSOLU] " if self.language == "fr" else "[RESOLVED] "
        elif self.reason == "acknowledged":
            prefix = "[PRIS EN CHARGE] " if self.language == "fr" else "[ACKNOWLEDGED] "
        elif self.reason == "reminder":
            prefix = "[RAPPEL] " if self.language == "fr" else "[REMINDER] "
        elif self.reason == "test":
            prefix = "[TEST] "
        return f"{prefix}[{self.severity_label()}] {brand} — {self.kind_label()} (score {self.score})"


# Line breaks and runs of ordinary spaces, but not the no-break spaces of French typography ("71\u202f%").
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")  # every whitespace run but the no-break spaces


def one_line(text: str) -> str:
    """One line, so that untrusted text cannot forge one (a fake "Acknowledge" link); keeps "71\u202f%" whole."""
    return _SPACES.sub(" ", text).strip()


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending with "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


NNBSP = "\u202f"  # French typography, as in alerts.detection.explain: no wrap before ":" or "%"
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # reserved characters kept; quotes, `|<>`, spaces and non-ASCII get encoded


def format_number(value: float, lang: str) -> str:
    """12 400 / 12,400 and 3,5 / 3.5: French uses a narrow no-break space and a decimal comma."""
    text = f"{value:.1f}" if value < 10 and value != int(value) else f"{value:,.0f}"
    return text.replace(",", NNBSP).replace(".", ",") if lang == "fr" else text


def format_time(moment: datetime) -> str:
    """2025-03-04 14:05 UTC: one unambiguous clock for every reader (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def http_url(url: str | None, limit: int | None = None) -> str | None:
    """An absolute http(s) URL, percent-encoded so that `|`, `<`, `>`, quotes and spaces cannot break out of a
    link, at most `limit` characters; else None (javascript:, data:, malformed...)."""
    if not url or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    encoded = quote(url.strip(), safe=_URL_SAFE)
    try:
        parts = urlsplit(encoded)
        host = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or (limit is not None and len(encoded) > limit):
        return None
    return encoded
