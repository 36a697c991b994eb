"""ETag / If-None-Match: a dashboard polling an unchanged list gets a bodyless 304; any change gives a new tag."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_an_unchanged_list_answers_304_and_a_change_gives_a_new_tag(client: TestClient) -> None:
    client.post("/api/v1/brands", json={"name": "SNCF", "query": "sncf"})
    for path in ("/api/v1/brands", "/api/v1/mentions?limit=10", "/api/v1/incidents", "/api/v1/deliveries"):
        first = client.get(path)
        tag = first.headers["etag"]
        assert first.status_code == 200 and tag.startswith('W/"')
        again = client.get(path, headers={"if-none-match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert client.get(path, headers={"if-none-match": '"something else"'}).status_code == 200
    before = client.get("/api/v1/mentions").headers["etag"]
    pushed = client.post("/api/v1/mentions", json={"mentions": [{"text": "Train SNCF en retard, encore."}]})
    assert pushed.status_code == 202
    changed = client.get("/api/v1/mentions", headers={"if-none-match": before})
    assert changed.status_code == 200 and changed.headers["etag"] != before and changed.json()["items"]


def test_errors_and_writes_carry_no_etag(client: TestClient) -> None:
    assert "etag" not in client.get("/api/v1/brands/999").headers
    assert "etag" not in client.post("/api/v1/brands", json={"name": "X", "query": "x"}).headers
