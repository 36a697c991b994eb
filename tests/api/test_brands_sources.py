"""Brands and sources over HTTP: create, list, get, update, delete, refresh; clear problem+json errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

ORANGE = {"name": "Orange", "query": '(orange OR livebox) -"jus d\'orange"', "languages": ["fr", "EN"]}
FEED = {
    "name": "Le Monde — économie",
    "kind": "rss",
    "url": "https://www.lemonde.fr/economie/rss_full.xml",
    "interval": "15m",
}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_brand_lifecycle(client: TestClient) -> None:
    created = client.post("/api/v1/brands", json=ORANGE)
    assert created.status_code == 201, created.text
    brand = created.json()
    assert brand["languages"] == ["en", "fr"] and brand["competitor"] is False
    assert client.get("/api/v1/brands").json() == [brand]
    assert client.get(f"/api/v1/brands/{brand['id']}").json() == brand
    patched = client.patch(f"/api/v1/brands/{brand['id']}", json={"competitor": True, "query": "orange OR sosh"})
    assert patched.status_code == 200 and patched.json()["competitor"] is True
    assert patched.json()["query"] == "orange OR sosh" and patched.json()["name"] == "Orange"
    assert client.delete(f"/api/v1/brands/{brand['id']}").status_code == 204
    _problem(client.get(f"/api/v1/brands/{brand['id']}"), 404)


def test_an_invalid_query_is_refused_with_the_position_of_the_problem(client: TestClient) -> None:
    body = _problem(client.post("/api/v1/brands", json={"name": "SNCF", "query": "(sncf OR ouigo"}), 422)
    assert body["errors"][0]["field"] == "query"
    assert "position 0" in body["detail"] and "never closed" in body["detail"]
    body = _problem(client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf OR"}), 422)
    assert "after 'OR'" in body["detail"]


def test_invalid_patch_is_refused_and_changes_nothing(client: TestClient) -> None:
    brand = client.post("/api/v1/brands", json=ORANGE).json()
    _problem(client.patch(f"/api/v1/brands/{brand['id']}", json={"query": "AND orange"}), 422)
    _problem(client.patch(f"/api/v1/brands/{brand['id']}", json={"languages": ["french"]}), 422)
    assert client.get(f"/api/v1/brands/{brand['id']}").json()["query"] == ORANGE["query"]


def test_duplicate_names_conflict(client: TestClient) -> None:
    client.post("/api/v1/brands", json=ORANGE)
    assert "already exists" in _problem(client.post("/api/v1/brands", json=ORANGE), 409)["detail"]
    client.post("/api/v1/sources", json=FEED)
    _problem(client.post("/api/v1/sources", json=FEED), 409)


def test_malformed_json_and_unknown_fields_are_clear_errors(client: TestClient) -> None:
    bad = client.post("/api/v1/brands", content=b"{not json", headers={"content-type": "application/json"})
    _problem(bad, 422)
    body = _problem(client.post("/api/v1/brands", json={**ORANGE, "colour": "orange"}), 422)
    assert body["errors"][0]["field"] == "colour"


def test_source_lifecycle_and_refresh(client: TestClient) -> None:
    created = client.post("/api/v1/sources", json=FEED)
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["interval"] == 900 and source["enabled"] and not source["leased"]
    assert source["consecutive_errors"] == 0 and source["last_error"] is None
    got = client.get(f"/api/v1/sources/{source['id']}").json()
    assert got["recent_runs"] == []
    patched = client.patch(f"/api/v1/sources/{source['id']}", json={"interval": "2h"}).json()
    assert patched["interval"] == 7200
    refreshed = client.post(f"/api/v1/sources/{source['id']}/refresh")
    assert refreshed.status_code == 202
    due = datetime.fromisoformat(refreshed.json()["due_at"])
    assert due <= datetime.now(UTC) + timedelta(seconds=1)
    assert client.delete(f"/api/v1/sources/{source['id']}").status_code == 204
    _problem(client.post(f"/api/v1/sources/{source['id']}/refresh"), 404)


def test_source_validation(client: TestClient) -> None:
    body = _problem(client.post("/api/v1/sources", json={**FEED, "kind": "telepathy"}), 422)
    assert "unknown source kind 'telepathy'" in body["detail"] and "rss" in body["detail"]
    _problem(client.post("/api/v1/sources", json={**FEED, "url": "ftp://example.org/feed"}), 422)
    _problem(client.post("/api/v1/sources", json={**FEED, "interval": "5s"}), 422)
    _problem(client.post("/api/v1/sources", json={**FEED, "interval": "soon"}), 422)
    _problem(client.post("/api/v1/sources", json={"name": "demo", "kind": "replay", "params": {"batch": 0}}), 422)


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/brands", "/api/v1/sources/{source_id}/refresh", "/api/v1/mentions"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
