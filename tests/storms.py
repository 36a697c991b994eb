"""A French complaint storm about SNCF over two weeks of ordinary traffic: shared by detection and delivery
tests, pushed through the API as a user would."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

STORM_AT = datetime(2026, 11, 17, 19, 0, tzinfo=UTC)  # a Tuesday evening
BACKGROUND = [
    "Trajet Paris-Lyon avec la SNCF aujourd'hui, rien à signaler.",
    "Quelqu'un sait si les TGV SNCF roulent normalement demain ?",
    "Merci la SNCF, train à l'heure et contrôleur sympa.",
    "La SNCF annonce de nouveaux horaires pour le printemps.",
    "Train SNCF en retard de 10 minutes ce matin, bof.",
    "SNCF: la nouvelle appli est plutôt pratique.",
]
STORM = [
    "Train SNCF supprimé sans prévenir, on est bloqués en gare depuis 2h, remboursez-nous",
    "Scandaleux la SNCF, aucune info, aucun bus de remplacement, inadmissible",
    "Toujours bloqués à Lyon Part-Dieu, la SNCF se moque de nous, honteux",
    "SNCF: 3h de retard et personne pour répondre, c'est une honte, je veux un remboursement",
    "Panne géante SNCF, des milliers de voyageurs coincés, plainte collective en préparation",
]


def _mentions(texts: list[str], start: datetime, count: int, spread: timedelta, prefix: str) -> list[dict]:
    rng = random.Random(prefix)
    out = []
    for i in range(count):
        at = start + spread * rng.random()
        text = f"{rng.choice(texts)} #{prefix}{i}"
        out.append(
            {
                "external_id": f"{prefix}-{i}",
                "text": text,
                "author": f"user{rng.randrange(10_000)}",
                "author_reach": rng.choice([50, 200, 800, 3_000]),
                "published_at": at.isoformat(),
            }
        )
    return out


def _push(client: TestClient, mentions: list[dict]) -> None:
    for i in range(0, len(mentions), 500):
        response = client.post("/api/v1/mentions", json={"mentions": mentions[i : i + 500]})
        assert response.status_code == 202, response.text
