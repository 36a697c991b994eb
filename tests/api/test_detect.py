"""Detection end to end on a real database: a French complaint storm pushed through the API opens exactly one
incident that explains itself; a benign launch spike opens nothing above info; calm resolves it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import reading, writing
from app.detect import replay
from app.storage.brands import list_brands
from app.storage.incidents import IncidentFilter, list_events, list_incidents
from app.storage.workspaces import get_workspace

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


@pytest.fixture
def sncf(client: TestClient) -> TestClient:
    client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"})
    history_start = STORM_AT - timedelta(days=14)
    _push(client, _mentions(BACKGROUND, history_start, 14 * 24 * 3, timedelta(days=14), "bg"))  # ~3 per hour
    return client


def _replay(engine, start: datetime, end: datetime) -> None:
    with writing(engine) as conn:
        workspace = get_workspace(conn, name="default")
        replay(conn, workspace=workspace, brands=list_brands(conn, workspace_id=workspace["id"]), start=start, end=end)


def _incidents(engine) -> list[dict]:
    with reading(engine) as conn:
        return list_incidents(conn, workspace_id=1, filters=IncidentFilter(), limit=100)


@pytest.mark.slow
def test_a_french_complaint_storm_opens_exactly_one_incident_that_explains_itself(sncf, engine) -> None:
    _push(sncf, _mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"))
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(hours=1))
    storms = [i for i in _incidents(engine) if i["kind"] == "storm"]
    assert len(storms) == 1
    storm = storms[0]
    assert storm["severity"] in ("warning", "critical") and storm["status"] == "open"
    assert storm["opened_at"] - STORM_AT <= timedelta(minutes=30)
    assert "SNCF" in storm["explanation"] and "%" in storm["explanation"]
    detail = sncf.get(f"/api/v1/incidents/{storm['id']}").json()
    assert detail["mentions"] and all("storm" in m["external_id"] for m in detail["mentions"][:5])
    assert detail["timeline"][0]["type"] == "opened"
    # The storm passes: after a calm spell the incident resolves itself, and the timeline says so.
    _replay(engine, STORM_AT + timedelta(hours=1, minutes=5), STORM_AT + timedelta(hours=8))
    [after] = [i for i in _incidents(engine) if i["kind"] == "storm"]
    assert after["status"] == "resolved" and after["resolution"] == "auto"
    with reading(engine) as conn:
        assert list_events(conn, incident_id=after["id"])[-1]["type"] == "resolved"


@pytest.mark.slow
def test_a_benign_launch_spike_opens_nothing_above_info(sncf, engine) -> None:
    launch = [
        "La SNCF lance le TGV M, super nouvelle !",
        "Bravo la SNCF pour ce nouveau train",
        "Le TGV M SNCF est magnifique",
        "Vidéo de présentation du nouveau TGV SNCF",
    ]
    _push(sncf, _mentions(launch, STORM_AT, 120, timedelta(minutes=40), "launch"))
    _replay(engine, STORM_AT - timedelta(hours=1), STORM_AT + timedelta(hours=1))
    assert [i for i in _incidents(engine) if i["severity"] != "info"] == []


@pytest.mark.slow
def test_backtest_lists_the_storm_it_would_open_and_stores_nothing(sncf, engine, database_url, monkeypatch) -> None:
    from click.testing import CliRunner

    from app.cli import main

    _push(sncf, _mentions(STORM, STORM_AT, 80, timedelta(minutes=40), "storm"))
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    since, until = (STORM_AT - timedelta(hours=1)).isoformat(), (STORM_AT + timedelta(hours=2)).isoformat()
    result = CliRunner().invoke(main, ["backtest", "--since", since, "--until", until], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    storm_lines = [line for line in result.output.splitlines() if " storm " in line]
    assert len(storm_lines) == 1 and "SNCF" in storm_lines[0]
    assert "incident(s) would have been opened" in result.output
    assert _incidents(engine) == []  # a backtest stores nothing
