"""The workspace over HTTP: language, time zone, crisis terms and ignored terms."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_workspace_terms_can_be_read_and_replaced(client: TestClient) -> None:
    ws = client.get("/api/v1/workspace").json()
    assert ws["name"] == "default" and ws["crisis_terms"] == [] and ws["timezone"] == "Europe/Paris"
    patched = client.patch(
        "/api/v1/workspace",
        json={
            "crisis_terms": [" rappel conso ", "Listeria", "listeria"],
            "ignored_terms": ["Scandale"],
            "language": "en",
        },
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["crisis_terms"] == ["rappel conso", "Listeria"] and body["ignored_terms"] == ["Scandale"]
    assert body["language"] == "en"
    assert client.get("/api/v1/workspace").json() == body


def test_bad_workspace_changes_are_refused(client: TestClient) -> None:
    bad_zone = client.patch("/api/v1/workspace", json={"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and "IANA" in bad_zone.json()["detail"]
    assert client.patch("/api/v1/workspace", json={"language": "klingon"}).status_code == 422
    too_long = client.patch("/api/v1/workspace", json={"crisis_terms": ["x" * 101]})
    assert too_long.status_code == 422 and "longer than 100" in too_long.json()["detail"]
    assert client.get("/api/v1/workspace").json()["timezone"] == "Europe/Paris"
