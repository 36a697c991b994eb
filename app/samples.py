"""The sample incident a channel test sends: realistic, in the workspace's language, marked as a test."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alerts.delivery.message import TEST_EVENT, IncidentMessage, MentionView
from app.settings import Settings

_TEXT = {
    "fr": (
        "Test de Vigie — 340 mentions/h contre 25 attendues un mardi à 14:00 ; 71 % négatives contre 18 % "
        "d'habitude ; « remboursement » ×9 ; 2 auteurs > 100 k abonnés.",
        "Vol annulé et toujours pas de remboursement, service client injoignable depuis 3 semaines.",
    ),
    "en": (
        "Vigie test — 340 mentions/h vs 25 expected on a Tuesday 14:00; 71 % negative vs 18 % usual; "
        "'refund' ×9; 2 authors > 100k followers.",
        "Flight cancelled and still no refund, customer service unreachable for 3 weeks.",
    ),
}


def sample_message(workspace: dict[str, Any], settings: Settings, now: datetime, *, message_id: str) -> IncidentMessage:
    """A sample storm, reason "test", event vigie.test; its links point at the API and acknowledge nothing."""
    lang = workspace["language"] if workspace["language"] in _TEXT else "en"
    explanation, mention = _TEXT[lang]
    base = settings.public_url.rstrip("/")
    return IncidentMessage(
        message_id=message_id,
        event=TEST_EVENT,
        reason="test",
        language=lang,
        workspace_name=workspace["name"],
        brand_name="Vigie",
        incident_id=0,
        kind="storm",
        severity="critical",
        status="open",
        score=87,
        peak_score=87,
        mention_count=340,
        peak_rate=340.0,
        explanation=explanation,
        opened_at=now - timedelta(minutes=12),
        updated_at=now,
        incident_url=f"{base}/",
        ack_url=None,
        top_mentions=(
            MentionView("", mention, "https://example.com/post/1", "voyageur_en_colere", 120_000, "negative", 82, now),
        ),
        top_terms=(("remboursement" if lang == "fr" else "refund", 9),),
        sentiment_split={"negative": 241, "neutral": 80, "positive": 19},
    )
