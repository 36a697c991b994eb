"""The alert feed and incident actions over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import writing
from app.storage.incidents import add_event, create_incident
from tests.factories import store_incident

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)


def _incident(
    engine,
    *,
    brand_id: int,
    kind: str = "storm",
    severity: str = "critical",
    minutes: int = 0,
    key: str | None = None,
    mention_ids: tuple[int, ...] = (),
) -> int:
    at = T0 + timedelta(minutes=minutes)
    key = key or f"{kind}:{brand_id}:{minutes}"
    return store_incident(
        engine, brand_id=brand_id, at=at, kind=kind, severity=severity, dedup_key=key, mention_ids=mention_ids
    )


@pytest.fixture
def world(client: TestClient) -> dict:
    brand = client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}).json()
    other = client.post("/api/v1/brands", json={"name": "Ouigo", "query": "ouigo"}).json()
    pushed = client.post(
        "/api/v1/mentions",
        json={
            "mentions": [
                {"text": "Train supprimé, aucune info, remboursez-nous @SNCF", "author_reach": 50_000},
                {"text": "Encore 2h de retard SNCF, c'est inadmissible"},
            ]
        },
    ).json()
    return {"brand": brand["id"], "other": other["id"], "mentions": pushed["mention_ids"]}


def test_the_feed_lists_newest_first_with_filters_and_cursor(client, engine, world) -> None:
    ids = [_incident(engine, brand_id=world["brand"], minutes=m) for m in range(5)]
    low = _incident(engine, brand_id=world["other"], kind="silence", severity="info", minutes=10)
    feed = client.get("/api/v1/incidents").json()["items"]
    assert [i["id"] for i in feed] == [low, *reversed(ids)]
    assert feed[0]["brand_name"] == "Ouigo"
    only = lambda **p: [i["id"] for i in client.get("/api/v1/incidents", params=p).json()["items"]]  # noqa: E731
    assert only(severity="info") == [low] and only(kind="silence") == [low]
    assert only(brand=world["brand"]) == list(reversed(ids))
    assert only(since=(T0 + timedelta(minutes=3)).isoformat()) == [low, ids[4], ids[3]]
    page = client.get("/api/v1/incidents", params={"limit": 4}).json()
    rest = client.get("/api/v1/incidents", params={"limit": 4, "cursor": page["next_cursor"]}).json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [low, *reversed(ids)] and rest["next_cursor"] is None


def test_an_incident_shows_its_explanation_timeline_and_mentions(client, engine, world) -> None:
    incident_id = _incident(engine, brand_id=world["brand"], mention_ids=tuple(world["mentions"]))
    detail = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert detail["explanation"].startswith("Score 87") and detail["brand_name"] == "SNCF"
    assert [e["type"] for e in detail["timeline"]] == ["opened"]
    assert [m["id"] for m in detail["mentions"]] == world["mentions"]
    assert detail["mentions"][0]["sentiment"]["label"] == "negative"


def test_acknowledge_resolve_and_snooze_write_the_timeline(client, engine, world) -> None:
    incident_id = _incident(engine, brand_id=world["brand"])
    url = f"/api/v1/incidents/{incident_id}"
    snoozed = client.post(f"{url}/snooze", json={"minutes": 90}).json()
    assert datetime.fromisoformat(snoozed["snoozed_until"]) > datetime.now(UTC) + timedelta(minutes=89)
    acked = client.post(f"{url}/ack").json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_at"]
    assert client.post(f"{url}/ack").json()["timeline"] == acked["timeline"]  # idempotent
    resolved = client.post(f"{url}/resolve", json={"reason": "handled", "note": "Répondu en DM"}).json()
    assert resolved["status"] == "resolved" and resolved["resolution"] == "handled"
    assert [e["type"] for e in resolved["timeline"]] == ["opened", "snoozed", "acknowledged", "resolved"]
    assert resolved["timeline"][-1]["detail"]["note"] == "Répondu en DM"
    conflict = client.post(f"{url}/ack")
    assert conflict.status_code == 409 and "resolved" in conflict.json()["detail"]


def test_bad_actions_are_clear_errors(client, engine, world) -> None:
    incident_id = _incident(engine, brand_id=world["brand"])
    url = f"/api/v1/incidents/{incident_id}"
    assert client.post(f"{url}/resolve", json={"reason": "bored"}).status_code == 422
    assert client.post(f"{url}/snooze", json={}).status_code == 422
    assert client.post(f"{url}/snooze", json={"minutes": 60 * 24 * 8}).status_code == 422
    assert client.post(f"{url}/snooze", json={"until": "2026-11-22T23:00:00"}).status_code == 422
    assert client.post("/api/v1/incidents/999999/ack").status_code == 404
    assert client.get("/api/v1/incidents", params={"status": "sleeping"}).status_code == 422


def test_one_live_incident_per_dedup_key(client, engine, world) -> None:
    first = _incident(engine, brand_id=world["brand"], key="storm:sncf")
    twin = {
        "workspace_id": 1,
        "brand_id": world["brand"],
        "kind": "storm",
        "dedup_key": "storm:sncf",
        "status": "open",
        "severity": "warning",
        "score": 60,
        "peak_score": 60,
        "explanation": "",
        "summary": {},
        "window_start": T0,
        "window_end": T0,
        "opened_at": T0,
        "updated_at": T0,
    }
    with writing(engine) as conn:
        assert create_incident(conn, values=twin) is None  # the database refuses a second live incident
        add_event(conn, incident_id=first, type="updated", at=T0, severity="critical", score=90, actor="vigie")
    assert [e["type"] for e in client.get(f"/api/v1/incidents/{first}").json()["timeline"]] == ["opened", "updated"]
    client.post(f"/api/v1/incidents/{first}/resolve", json={"reason": "handled"})
    with writing(engine) as conn:
        assert create_incident(conn, values=twin) not in (None, first)  # once resolved, a new storm may open
