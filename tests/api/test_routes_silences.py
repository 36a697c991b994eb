"""Routes, silences and office hours over HTTP: validated like the config file, every channel named must
exist, and each change re-plans the incidents already open (a new route pages about them at once)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.db.schema import utcnow
from tests.factories import store_incident


def open_incident(engine, *, brand_id: int, severity: str = "critical") -> int:
    """A live storm incident opened a minute ago, as detection writes it."""
    at = utcnow() - timedelta(minutes=1)
    return store_incident(engine, brand_id=brand_id, at=at, severity=severity, dedup_key=f"storm:{brand_id}")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def channels(client: TestClient) -> TestClient:
    for name in ("slack-cm", "astreinte"):
        made = client.post(
            "/api/v1/channels", json={"name": name, "kind": "slack", "url": f"https://hooks.example/{name}"}
        )
        assert made.status_code == 201, made.text
    return client


def test_a_route_names_only_existing_channels_escalation_included(channels: TestClient) -> None:
    spec = {
        "name": "nuit",
        "channels": ["slack-cm", "pager"],
        "escalation": [{"after": "15m", "channels": ["directeur"]}],
    }
    refused = channels.post("/api/v1/routes", json=spec)
    assert refused.status_code == 422
    assert "'directeur', 'pager'" in refused.json()["detail"] and "POST /api/v1/channels" in refused.json()["detail"]
    spec.update(channels=["slack-cm"], escalation=[{"after": "15m", "channels": ["astreinte"]}], when="on_call")
    created = channels.post("/api/v1/routes", json={**spec, "group_wait": "2m", "repeat_interval": "1h"})
    assert created.status_code == 201, created.text
    route = created.json()
    assert route["group_wait"] == 120 and route["repeat_interval"] == 3600 and route["group_interval"] == 600
    assert route["escalation"] == [{"after": 900, "channels": ["astreinte"]}] and route["when"] == "on_call"
    assert route["enabled"] is True and route["min_severity"] == "warning"
    assert channels.post("/api/v1/routes", json={"name": "nuit", "channels": ["slack-cm"]}).status_code == 409
    assert channels.get("/api/v1/routes").json() == [route]


def test_a_route_can_be_changed_and_deleted(channels: TestClient) -> None:
    route = channels.post("/api/v1/routes", json={"name": "jour", "channels": ["slack-cm"]}).json()
    patched = channels.patch(f"/api/v1/routes/{route['id']}", json={"repeat_interval": 0, "min_severity": "critical"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["repeat_interval"] == 0 and patched.json()["min_severity"] == "critical"
    unknown = channels.patch(f"/api/v1/routes/{route['id']}", json={"channels": ["nobody"]})
    assert unknown.status_code == 422 and "'nobody'" in unknown.json()["detail"]
    bad = channels.patch(f"/api/v1/routes/{route['id']}", json={"group_interval": "often"})
    assert bad.status_code == 422
    assert channels.get(f"/api/v1/routes/{route['id']}").json()["channels"] == ["slack-cm"]
    assert channels.delete(f"/api/v1/routes/{route['id']}").status_code == 204
    assert channels.get(f"/api/v1/routes/{route['id']}").status_code == 404
    assert channels.delete(f"/api/v1/routes/{route['id']}").status_code == 404


def test_a_new_route_pages_about_an_incident_already_open(channels: TestClient, engine) -> None:
    brand = channels.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}).json()
    incident_id = open_incident(engine, brand_id=brand["id"])
    assert channels.get("/api/v1/deliveries").json()["items"] == []
    route = {"name": "tout de suite", "channels": ["slack-cm"], "group_wait": 0}
    assert channels.post("/api/v1/routes", json=route).status_code == 201
    items = channels.get("/api/v1/deliveries").json()["items"]
    assert [(d["incident_id"], d["channel"], d["status"]) for d in items] == [(incident_id, "slack-cm", "pending")]


def test_a_silence_holds_back_a_new_route_until_it_ends(channels: TestClient, engine) -> None:
    brand = channels.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"}).json()
    open_incident(engine, brand_id=brand["id"])
    silence = channels.post("/api/v1/silences", json={"brand": "SNCF", "duration": "2h", "comment": "grève annoncée"})
    assert silence.status_code == 201, silence.text
    channels.post("/api/v1/routes", json={"name": "tout de suite", "channels": ["slack-cm"], "group_wait": 0})
    assert channels.get("/api/v1/deliveries").json()["items"] == []
    assert channels.delete(f"/api/v1/silences/{silence.json()['id']}").status_code == 204
    assert len(channels.get("/api/v1/deliveries").json()["items"]) == 1


def test_silences_are_listed_ended_and_kept(client: TestClient) -> None:
    client.post("/api/v1/brands", json={"name": "Orange", "query": "orange"})
    made = client.post(
        "/api/v1/silences", json={"brand": "Orange", "severity": "warning", "duration": "2h", "comment": "campagne"}
    )
    assert made.status_code == 201, made.text
    silence = made.json()
    assert silence["active"] is True and silence["created_by"] == "api"
    assert 7190 <= (_at(silence["ends_at"]) - _at(silence["starts_at"])).total_seconds() <= 7200
    later = (utcnow() + timedelta(days=1)).isoformat()
    planned = client.post(
        "/api/v1/silences",
        json={"kind": "silence", "starts_at": later, "duration": "1h", "comment": "maintenance", "created_by": "léa"},
    ).json()
    assert planned["active"] is False and planned["created_by"] == "léa"
    assert [s["id"] for s in client.get("/api/v1/silences?active=true").json()] == [silence["id"], planned["id"]]
    assert client.delete(f"/api/v1/silences/{silence['id']}").status_code == 204
    ended = client.get(f"/api/v1/silences/{silence['id']}").json()
    assert ended["active"] is False and _at(ended["ends_at"]) <= utcnow()
    assert [s["id"] for s in client.get("/api/v1/silences?active=true").json()] == [planned["id"]]
    assert len(client.get("/api/v1/silences").json()) == 2
    assert client.delete("/api/v1/silences/999").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"duration": "1h", "comment": "tout"}, "with none it would mute everything"),
        ({"brand": "Inconnue", "duration": "1h", "comment": "x"}, "no brand named 'Inconnue'"),
        ({"kind": "storm", "ends_at": "2030-01-01T10:00:00", "comment": "x"}, "needs a time zone"),
        ({"kind": "storm", "duration": "1h", "ends_at": "2030-01-01T10:00:00Z", "comment": "x"}, "either ends_at"),
        (
            {"kind": "storm", "starts_at": "2030-01-02T10:00:00Z", "ends_at": "2030-01-01T10:00:00Z", "comment": "x"},
            "ends_at must be after starts_at",
        ),
        ({"kind": "storm", "duration": "1h"}, "comment"),
    ],
)
def test_bad_silences_are_refused_with_the_reason(client: TestClient, body: dict, message: str) -> None:
    refused = client.post("/api/v1/silences", json=body)
    assert refused.status_code == 422 and message in refused.text


def test_office_hours_are_part_of_the_workspace(channels: TestClient) -> None:
    alerting = channels.get("/api/v1/workspace").json()["alerting"]
    assert alerting["office_days"] == ["mon", "tue", "wed", "thu", "fri"] and alerting["office_start"] == "09:00"
    patched = channels.patch(
        "/api/v1/workspace",
        json={
            "alerting": {
                "office_end": "19:30",
                "holidays": ["2026-12-25"],
                "digest_hour": 8,
                "digest_channels": ["slack-cm"],
            }
        },
    )
    assert patched.status_code == 200, patched.text
    alerting = patched.json()["alerting"]
    assert alerting["office_end"] == "19:30" and alerting["office_start"] == "09:00"
    assert alerting["holidays"] == ["2026-12-25"] and alerting["digest_channels"] == ["slack-cm"]
    backwards = channels.patch("/api/v1/workspace", json={"alerting": {"office_start": "20:00"}})
    assert backwards.status_code == 422 and "office_start must be before office_end" in backwards.json()["detail"]
    typo = channels.patch("/api/v1/workspace", json={"alerting": {"office_days": ["lundi"]}})
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "alerting.office_days"
    unknown = channels.patch("/api/v1/workspace", json={"alerting": {"digest_channels": ["nobody"]}})
    assert unknown.status_code == 422 and "'nobody'" in unknown.json()["detail"]
    assert channels.get("/api/v1/workspace").json()["alerting"] == alerting
